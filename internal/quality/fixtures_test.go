package quality_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/cara-registry/cara/internal/naaccr"
	"github.com/cara-registry/cara/internal/store"
)

// The fixtures of the store's tests that these need: the quality rules run over a real store.

// addFacility creates a facility with the given code.
func addFacility(t *testing.T, s *store.Store, code string) *store.Facility {
	t.Helper()
	f := &store.Facility{Code: code, Name: "Facility " + code}
	if err := s.CreateFacility(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	return f
}

func addUser(t *testing.T, s *store.Store, name, role string, facilityID uint) *store.User {
	t.Helper()
	u := &store.User{Username: name, DisplayName: "User " + name, PasswordHash: "x", Role: role, FacilityID: &facilityID}
	if err := s.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

// addPatient creates a patient with one tumor per item map, all in the given status, and returns
// the patient and its tumor ids in creation order.
func addPatient(t *testing.T, s *store.Store, facilityID uint, patientItems map[string]string, status string, tumorItems ...map[string]string) (*store.Patient, []uint) {
	t.Helper()
	ctx := context.Background()
	p := naaccr.Patient{Items: patientItems}
	for _, ti := range tumorItems {
		p.Tumors = append(p.Tumors, naaccr.Tumor{Items: ti})
	}
	row, err := s.CreatePatient(ctx, facilityID, p, status)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.DB().QueryContext(ctx, "SELECT id FROM tumors WHERE patient_id = ? ORDER BY id", row.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []uint
	for rows.Next() {
		var id uint
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return row, ids
}

// step takes a workflow step on a case, failing the test if the store refuses it.
func step(t *testing.T, s *store.Store, id uint, action, from, to string, user uint, reason string) {
	t.Helper()
	if _, err := s.ChangeStatus(context.Background(), store.StatusUpdate{TumorID: id, Scope: store.AllFacilities,
		Action: action, From: from, To: to, UserID: &user, Reason: reason}); err != nil {
		t.Fatal(err)
	}
}

func idOf(id uint) string { return strconv.FormatUint(uint64(id), 10) }
