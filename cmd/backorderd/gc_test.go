package main

import (
	"math"
	"runtime/debug"
	"strings"
	"testing"
)

func TestTuneGCSetsTheDefaultsOnlyWhereTheOperatorSetNothing(t *testing.T) {
	percent, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(percent); debug.SetMemoryLimit(limit) })

	debug.SetMemoryLimit(math.MaxInt64)
	if err := tuneGC(func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Errorf("GOGC unset: GC percent %d, want %d", got, gcPercent)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != memoryLimit {
		t.Errorf("GOMEMLIMIT unset: memory limit %d, want %d", got, memoryLimit)
	}

	env := map[string]string{"GOGC": "50", "GOMEMLIMIT": "1GiB"}
	if err := tuneGC(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC set: GC percent changed to %d", got)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("GOMEMLIMIT set: memory limit changed to %d", got)
	}
}

func TestTuneGCRefusesAGOGCTheRuntimeWouldReadAs100(t *testing.T) {
	percent := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(percent) })
	for _, v := range []string{"abc", "4OO", "1.5"} {
		err := tuneGC(func(k string) string { return map[string]string{"GOGC": v, "GOMEMLIMIT": "1GiB"}[k] })
		if err == nil || !strings.Contains(err.Error(), "GOGC") {
			t.Errorf("GOGC=%s: %v, want an error naming GOGC", v, err)
		}
	}
	for _, v := range []string{"off", "50", "400"} {
		if err := tuneGC(func(k string) string { return map[string]string{"GOGC": v, "GOMEMLIMIT": "1GiB"}[k] }); err != nil {
			t.Errorf("GOGC=%s: %v, want it accepted", v, err)
		}
	}
}
