package main

import (
	"github.com/cara-registry/cara/internal/abstract"
	"github.com/cara-registry/cara/internal/codes"
	"github.com/cara-registry/cara/internal/release"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/schemas"
)

// releaseService is the release of information over the store, for the purge of expired files.
func releaseService(s *store.Store, form *abstract.Form, siteGroups []codes.SiteGroup, e env) (*release.Service, error) {
	pol, err := release.LoadPolicy(schemas.FS)
	if err != nil {
		return nil, err
	}
	return release.New(s, form.Dictionary, pol, siteGroups, release.Options{Dir: e.releaseDir(), Now: e.Now}), nil
}
