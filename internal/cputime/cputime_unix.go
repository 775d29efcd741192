//go:build unix

// Package cputime measures the CPU time the process has used, for benchmarks: on a shared machine
// a steadier measure of work than the wall clock.
package cputime

import (
	"syscall"
	"time"
)

// Process returns the CPU time the process has used (user and system), 0 when unknown.
func Process() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
