package auth

import (
	"testing"
	"time"
)

func TestThrottleDelayGrowsAfterTheFreeFailuresUpToTheCap(t *testing.T) {
	th := DefaultThrottle
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{0, 0}, {4, 0},
		{5, time.Second}, {6, 2 * time.Second}, {7, 4 * time.Second}, {8, 8 * time.Second},
		{14, 512 * time.Second}, {15, 15 * time.Minute}, {16, 15 * time.Minute}, {1000, 15 * time.Minute},
	}
	for _, tt := range tests {
		if got := th.Delay(tt.failures, 5); got != tt.want {
			t.Errorf("Delay(%d failures, 5 free) = %v, want %v", tt.failures, got, tt.want)
		}
	}
}

func TestThrottleWaitCountsFromTheLastFailure(t *testing.T) {
	th := DefaultThrottle
	last := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	tests := []struct {
		name     string
		failures int
		now      time.Time
		want     time.Duration
	}{
		{"free failures", 4, last, 0},
		{"at the last failure", 7, last, 4 * time.Second},
		{"a second later", 7, last.Add(time.Second), 3 * time.Second},
		{"after the delay", 7, last.Add(4 * time.Second), 0},
		{"capped, ten minutes later", 40, last.Add(10 * time.Minute), 5 * time.Minute},
		{"forgotten after an hour", 40, last.Add(time.Hour), 0},
	}
	for _, tt := range tests {
		if got := th.Wait(tt.failures, 5, last, tt.now); got != tt.want {
			t.Errorf("%s: Wait = %v, want %v", tt.name, got, tt.want)
		}
	}
}
