// Package jobstest gives tests a Redis of their own: a database number of
// TEST_REDIS_URL, flushed before and after the test, or, where that is not
// set (a developer's machine; never CI), an in-process miniredis.
package jobstest

import (
	"context"
	"os"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Redis returns a client of a Redis that only this test uses. Packages run
// in parallel, so each passes its own db number (1–15) for TEST_REDIS_URL.
func Redis(t testing.TB, db int) (redis.UniversalClient, *redis.Options) {
	t.Helper()
	var opts *redis.Options
	if raw := os.Getenv("TEST_REDIS_URL"); raw != "" {
		var err error
		if opts, err = redis.ParseURL(raw); err != nil {
			t.Fatalf("parse TEST_REDIS_URL: %v", err)
		}
		opts.DB = db
	} else {
		if os.Getenv("CI") != "" {
			t.Fatal("TEST_REDIS_URL is not set: CI tests run on a real Redis")
		}
		m := miniredis.NewMiniRedis()
		m.ClockTTL(true)
		if err := m.Start(); err != nil {
			t.Fatalf("start miniredis: %v", err)
		}
		t.Cleanup(m.Close)
		opts = &redis.Options{Addr: m.Addr()}
	}
	rc := redis.NewClient(opts)
	flush := func() {
		if err := rc.FlushDB(context.Background()).Err(); err != nil {
			t.Fatalf("flush test redis: %v", err)
		}
	}
	flush()
	t.Cleanup(func() {
		flush()
		_ = rc.Close()
	})
	return rc, opts
}
