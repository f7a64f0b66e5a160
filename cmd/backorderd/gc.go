package main

import (
	"fmt"
	"runtime/debug"
	"strconv"
)

// The garbage collector's defaults for every backorderd process, unless the
// operator sets GOGC or GOMEMLIMIT (the Go runtime reads both itself).
//
// A receiver under a flash sale allocates about 50 KB per delivery (the
// body, and the driver's copies of it), so with Go's default GOGC=100 and
// a live heap of a few MB it collected dozens of times a second; with two
// cores, each collection's mark phase took one of them from the requests,
// and that, not the database, set the slowest 1% of answers at 2,000
// deliveries/s (docs/performance.md). Collecting at five times the live
// heap does it a fifth as often; the memory limit bounds what that costs
// in memory, collecting earlier rather than growing past it.
const (
	gcPercent   = 400
	memoryLimit = 80 << 20 // bytes: the processes must stay well under 100 MB resident
)

// tuneGC applies the defaults above where getenv holds no setting. The
// runtime stops a process whose GOMEMLIMIT it cannot read, naming it, but
// reads a malformed GOGC as 100 without a word: that is refused here.
func tuneGC(getenv func(string) string) error {
	switch v := getenv("GOGC"); v {
	case "":
		debug.SetGCPercent(gcPercent)
	case "off":
	default:
		if _, err := strconv.Atoi(v); err != nil {
			return fmt.Errorf("GOGC=%q: want a whole number of percent, or off", v)
		}
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	return nil
}
