package fhirintake

import (
	"testing"

	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/schemas"
)

func testDict(t testing.TB) *naaccr.Dictionary {
	t.Helper()
	d, err := naaccr.LoadBaseDictionary(schemas.FS, naaccr.CurrentVersion)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func testMapping(t testing.TB) *Mapping {
	t.Helper()
	m, err := LoadMapping(schemas.FS, testDict(t))
	if err != nil {
		t.Fatal(err)
	}
	return m
}
