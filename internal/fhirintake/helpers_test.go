package fhirintake

import (
	"testing"

	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/schemas"
)

func testMapping(t testing.TB) *Mapping {
	t.Helper()
	d, err := naaccr.LoadBaseDictionary(schemas.FS, naaccr.CurrentVersion)
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadMapping(schemas.FS, d)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
