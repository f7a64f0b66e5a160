package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// retryDelays are the pauses before each new attempt of a transaction that
// failed on a transient error: about 0.6 s in all, so that a deadlock in a
// burst costs milliseconds instead of asynq's backoff.
var retryDelays = []time.Duration{
	5 * time.Millisecond, 15 * time.Millisecond, 40 * time.Millisecond,
	80 * time.Millisecond, 160 * time.Millisecond, 300 * time.Millisecond,
}

// Causes of a retried transaction, as Retries counts them.
const (
	RetryDeadlock      = "40P01" // deadlock_detected
	RetrySerialization = "40001" // serialization_failure
	RetryConnection    = "connection"
	RetrySQLiteBusy    = "sqlite_busy"
)

// transient names the cause of err if running the transaction again may
// succeed, or returns "". An error of the commit is retried only when the
// server said it rolled back: a connection lost while committing leaves the
// outcome unknown.
func transient(err error, committing bool) string {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return ""
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == RetryDeadlock || pgErr.Code == RetrySerialization:
			return pgErr.Code
		case committing:
			return ""
		// 08: connection exception; 57P01–57P03: the server is shutting
		// down or starting (an operator's restart, a failover).
		case strings.HasPrefix(pgErr.Code, "08"), pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03":
			return RetryConnection
		}
		return ""
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		if liteErr.Code()&0xff == sqlite3.SQLITE_BUSY && !committing {
			return RetrySQLiteBusy
		}
		return ""
	}
	if committing {
		return ""
	}
	var netErr net.Error
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		pgconn.SafeToRetry(err) || errors.As(err, &netErr) {
		return RetryConnection
	}
	return ""
}

// jitter spreads retries of transactions that collided, so that they do
// not collide again.
func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d) //nolint:gosec // spacing, not secrecy
}

// sleep waits for d unless ctx ends first; it reports whether it waited.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// retryCounts counts retried transactions by cause.
type retryCounts struct {
	mu sync.Mutex
	n  map[string]int64
}

func (r *retryCounts) count(cause string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == nil {
		r.n = map[string]int64{}
	}
	r.n[cause]++
}

// Retries tells how many transactions were run again since the store was
// opened, by cause (RetryDeadlock, RetrySerialization, RetryConnection,
// RetrySQLiteBusy).
func (s *Store) Retries() map[string]int64 {
	s.retries.mu.Lock()
	defer s.retries.mu.Unlock()
	out := make(map[string]int64, len(s.retries.n))
	for k, v := range s.retries.n {
		out[k] = v
	}
	return out
}

// Unavailable reports whether err says the database could not be reached or
// was restarting — a failure that waiting mends — rather than anything about
// the work itself. Jobs retry such work within seconds, not after asynq's
// backoff of tens of seconds. Only the database driver's errors count: a
// network error of an HTTP call (a store, SendGrid) is not the database's.
func Unavailable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return transient(err, false) == RetryConnection
	}
	var connErr *pgconn.ConnectError
	return errors.As(err, &connErr) || errors.Is(err, driver.ErrBadConn) || pgconn.SafeToRetry(err)
}
