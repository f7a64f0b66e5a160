package jobstest_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/backorderd/backorderd/jobs/jobstest"
)

// offset is this package's own database, counted from TEST_REDIS_URL's.
const offset = 13

// fatalRecorder is a testing.TB whose Fatal is recorded, not reported.
type fatalRecorder struct {
	testing.TB
	mu       sync.Mutex
	fatal    string
	cleanups []func()
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.fatal = fmt.Sprintf(format, args...)
	r.mu.Unlock()
	panic(r)
}

func (r *fatalRecorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }

// call runs jobstest.Redis as a test would, and says how it failed.
func (r *fatalRecorder) call(offset int) (fatal string) {
	defer func() {
		if p := recover(); p != nil && p != r { //nolint:errorlint // our own sentinel
			panic(p)
		}
		fatal = r.fatal
	}()
	jobstest.Redis(r, offset)
	return ""
}

// testURL is TEST_REDIS_URL and its options; without it (the in-process
// Redis holds nobody's data) the test skips.
func testURL(t *testing.T) (string, *redis.Options) {
	t.Helper()
	raw := os.Getenv("TEST_REDIS_URL")
	if raw == "" {
		t.Skip("TEST_REDIS_URL is not set")
	}
	opts, err := redis.ParseURL(raw)
	if err != nil {
		t.Fatal(err)
	}
	return raw, opts
}

func TestRedisNeverFlushesADatabaseHoldingSomeoneElsesKeys(t *testing.T) {
	_, opts := testURL(t)
	// A developer's Redis whose database holds data of their own.
	own := *opts
	own.DB = opts.DB + offset
	other := redis.NewClient(&own)
	defer other.Close()
	ctx := context.Background()
	if err := other.Set(ctx, "my-session:42", "precious", 0).Err(); err != nil {
		t.Fatal(err)
	}
	defer other.Del(ctx, "my-session:42")

	rec := &fatalRecorder{TB: t}
	if fatal := rec.call(offset); !strings.Contains(fatal, "refus") {
		t.Errorf("Redis on a database with foreign keys failed with %q, want a refusal", fatal)
	}
	if v, _ := other.Get(ctx, "my-session:42").Result(); v != "precious" {
		t.Fatalf("the foreign key is gone (%q): the test flushed someone else's database", v)
	}
	other.Del(ctx, "my-session:42")

	// An empty database is the test's, from now on and for later runs.
	_, got := jobstest.Redis(t, offset)
	if got.DB != opts.DB+offset {
		t.Errorf("test database = %d, want TEST_REDIS_URL's %d + %d", got.DB, opts.DB, offset)
	}
}

func TestRedisCountsItsDatabaseFromTheURLs(t *testing.T) {
	raw, opts := testURL(t)
	if opts.DB+offset+1 > 15 {
		t.Skip("TEST_REDIS_URL's database leaves no room")
	}
	u := strings.TrimSuffix(raw, fmt.Sprintf("/%d", opts.DB))
	t.Setenv("TEST_REDIS_URL", fmt.Sprintf("%s/%d", u, opts.DB+1))
	if _, got := jobstest.Redis(t, offset); got.DB != opts.DB+1+offset {
		t.Errorf("with TEST_REDIS_URL at db %d the test used db %d, want %d", opts.DB+1, got.DB, opts.DB+1+offset)
	}
}
