package followup_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cara-registry/cara/internal/auth"
	"github.com/cara-registry/cara/internal/followup"
	"github.com/cara-registry/cara/internal/store"
	"github.com/cara-registry/cara/internal/store/storetest"
)

const deathFile = `Last_Name,first_name,date_of_birth,sex,ssn_last4,date_of_death,underlying_cause,county
Due,Pat,19500101,F,,2026-10-03,C34.9,Cook
Nobody,Jane,19400101,2,1234,20261001,I219,Cook
,Jane,19400101,2,,20261001,I219,Cook
Bad,Date,19401301,2,,20261001,I219,Cook
Bad,Cause,19400101,2,,20261001,heart,Cook
Bad,"Quote,19400101,2,,20261001,I219,Cook
`

func TestParseDeathsKeepsTheGoodRowsAndSaysWhereEachBadOneIsWrong(t *testing.T) {
	f, err := followup.ParseDeaths(strings.NewReader(deathFile), today)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Deaths) != 2 || f.Deaths[0].DateOfDeath != "20261003" || f.Deaths[0].UnderlyingCause != "C349" || f.Deaths[0].Sex != "2" {
		t.Errorf("deaths = %+v", f.Deaths)
	}
	want := []followup.RowError{{Row: 4, Column: "last_name"}, {Row: 5, Column: "date_of_birth"}, {Row: 6, Column: "underlying_cause"}}
	if len(f.Errors) < len(want) {
		t.Fatalf("errors = %v", f.Errors)
	}
	for i, w := range want {
		if f.Errors[i].Row != w.Row || f.Errors[i].Column != w.Column || f.Errors[i].Reason == "" {
			t.Errorf("error %d = %+v, want row %d column %s", i, f.Errors[i], w.Row, w.Column)
		}
	}
	if len(f.Ignored) != 1 || f.Ignored[0] != "county" {
		t.Errorf("ignored = %v", f.Ignored)
	}
	if _, err := followup.ParseDeaths(strings.NewReader("last_name,first_name\nA,B\n"), today); err == nil {
		t.Error("a file without the required columns was read")
	}
}

func FuzzParseDeaths(f *testing.F) {
	f.Add(deathFile)
	f.Add("last_name,first_name,date_of_birth,sex,date_of_death,underlying_cause\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		file, err := followup.ParseDeaths(strings.NewReader(in), today)
		if err != nil {
			return
		}
		for _, d := range file.Deaths {
			if d.LastName == "" || len(d.DateOfBirth) != 8 || len(d.DateOfDeath) != 8 || d.DateOfDeath < d.DateOfBirth || d.UnderlyingCause == "" {
				t.Fatalf("a bad row was kept: %+v", d)
			}
		}
		for _, e := range file.Errors {
			if e.Row < 2 || e.Reason == "" {
				t.Fatalf("an error without its row or reason: %+v", e)
			}
		}
	})
}

func TestMatchDeathsScoresTheLivingPatients(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		fac, _ := seedDue(t, s)
		svc := followup.New(s, nil, nil, nil, followup.Options{Now: func() time.Time { return today }})
		a := followup.Actor{Role: auth.RoleRegistrar, Scope: store.FacilityScope(fac)}
		file, err := followup.ParseDeaths(strings.NewReader(deathFile), today)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := svc.MatchDeaths(context.Background(), a, a.Scope, file.Deaths)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != 2 || len(ms[0].Candidates) == 0 || ms[0].Candidates[0].Patient.NameLast != "Due" || ms[0].Candidates[0].Score < followup.LikelyScore {
			t.Fatalf("matches = %+v", ms)
		}
		for _, c := range ms[0].Candidates {
			if c.Patient.NameLast == "Dead" {
				t.Error("a dead patient is a candidate")
			}
		}
		if len(ms[1].Candidates) != 0 {
			t.Errorf("row 3 matched %+v", ms[1].Candidates)
		}
	})
}
