package cputime

import (
	"runtime"
	"testing"
)

func TestProcessGrowsWithWork(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("no process CPU time here")
	}
	before := Process()
	x := 0
	for i := 0; i < 200_000_000; i++ {
		x += i % 7
	}
	if after := Process(); after <= before || x == 0 {
		t.Errorf("CPU time %v then %v after a busy loop", before, after)
	}
}
