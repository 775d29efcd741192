package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

func TestCreateRejectsDuplicatesAndLookupsMissUnknowns(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := addFacility(t, s, "F")
		if err := s.CreateUser(ctx, &store.User{Username: "alice", PasswordHash: "x", Role: "registrar", FacilityID: &f.ID}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name string
			op   func() error
			want error
		}{
			{"duplicate username", func() error {
				return s.CreateUser(ctx, &store.User{Username: "alice", PasswordHash: "y", Role: "admin"})
			}, store.ErrDuplicate},
			{"duplicate facility code", func() error {
				return s.CreateFacility(ctx, &store.Facility{Code: "F", Name: "Another"})
			}, store.ErrDuplicate},
			{"unknown username", func() error {
				_, err := s.UserByUsername(ctx, "bob")
				return err
			}, store.ErrNotFound},
			{"unknown facility code", func() error {
				_, err := s.FacilityByCode(ctx, "X")
				return err
			}, store.ErrNotFound},
			{"unknown facility id", func() error {
				_, err := s.FacilityByID(ctx, f.ID+100)
				return err
			}, store.ErrNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := tt.op(); !errors.Is(err, tt.want) {
					t.Errorf("err = %v, want %v", err, tt.want)
				}
			})
		}

		u, err := s.UserByUsername(ctx, "alice")
		if err != nil || u.Role != "registrar" || u.FacilityID == nil || *u.FacilityID != f.ID || !u.CreatedAt.Equal(storetest.Clock) {
			t.Errorf("alice = %+v, %v; want the registrar of F created at the store clock", u, err)
		}
		byID, err := s.FacilityByID(ctx, f.ID)
		if err != nil || byID.Code != "F" {
			t.Errorf("FacilityByID = %+v, %v", byID, err)
		}
	})
}
