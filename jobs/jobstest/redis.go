// Package jobstest gives tests a Redis of their own: a database of
// TEST_REDIS_URL's server, flushed before and after the test, or, where that
// is not set (a developer's machine; never CI), an in-process miniredis.
package jobstest

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// markerKey marks a database as a running test's: only a database that is
// empty or carries it is ever flushed.
const markerKey = "backorderd:test-database"

// Redis returns a client of a Redis that only this test uses. Packages run
// in parallel, so each passes its own offset (1–15): the test's database is
// TEST_REDIS_URL's database number plus offset (redis://host:6379/0 and
// offset 2: database 2). A database that holds keys the tests did not mark
// as theirs is never flushed: the test fails, saying so.
func Redis(t testing.TB, offset int) (redis.UniversalClient, *redis.Options) {
	t.Helper()
	var opts *redis.Options
	if raw := os.Getenv("TEST_REDIS_URL"); raw != "" {
		var err error
		if opts, err = redis.ParseURL(raw); err != nil {
			t.Fatalf("parse TEST_REDIS_URL: %v", err)
		}
		opts.DB += offset
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
	ctx := context.Background()
	if err := claim(ctx, rc); err != nil {
		_ = rc.Close()
		t.Fatalf("%v", err)
	}
	flush := func() {
		if err := rc.FlushDB(ctx).Err(); err != nil {
			t.Fatalf("flush test redis: %v", err)
		}
	}
	flush()
	// Marked while the test runs, so that what a test killed half-way
	// leaves behind may be flushed by the next run; left empty after.
	if err := rc.Set(ctx, markerKey, "backorderd test running", 0).Err(); err != nil {
		t.Fatalf("mark test redis: %v", err)
	}
	t.Cleanup(func() {
		flush()
		_ = rc.Close()
	})
	return rc, opts
}

// claim checks that the database is the tests' to flush: empty, or marked.
func claim(ctx context.Context, rc *redis.Client) error {
	n, err := rc.DBSize(ctx).Result()
	if err != nil {
		return fmt.Errorf("check test redis: %w", err)
	}
	if n == 0 {
		return nil
	}
	marked, err := rc.Exists(ctx, markerKey).Result()
	if err != nil {
		return fmt.Errorf("check test redis: %w", err)
	}
	if marked == 0 {
		db := rc.Options().DB
		return fmt.Errorf("refusing to flush database %d of TEST_REDIS_URL's Redis: it holds %d keys that no test "+
			"marked as its own (point TEST_REDIS_URL at a Redis, or a database number, whose databases "+
			"from there up to 15 hold nothing else — see the README)", db, n)
	}
	return nil
}
