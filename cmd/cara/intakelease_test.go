package main

import (
	"strings"
	"testing"
	"time"
)

func TestIntakeLeaseIsADurationOfSecondsOrMore(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{in: "", want: 0},
		{in: "2m", want: 2 * time.Minute},
		{in: "6s", want: 6 * time.Second},
		{in: "1s", wantErr: true},
		{in: "120", wantErr: true},
		{in: "soon", wantErr: true},
	}
	for _, tt := range tests {
		got, err := env{IntakeLease: tt.in}.intakeLease("serve")
		if tt.wantErr {
			if err == nil || !strings.Contains(err.Error(), "CARA_INTAKE_LEASE") || !strings.Contains(err.Error(), tt.in) {
				t.Errorf("%q: %v, want an error naming CARA_INTAKE_LEASE and the value", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q: %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}
