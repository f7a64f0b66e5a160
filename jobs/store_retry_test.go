package jobs

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/backorderd/backorderd/integrations/storeapi"
)

func TestAStoreWriteRetriesAfterTheWaitTheStoreAsksFor(t *testing.T) {
	task := asynq.NewTask(TypeStoreWrite, nil)
	for _, tc := range []struct {
		name    string
		err     error
		want    time.Duration // the wait asked and a second: asynq may run a retry a second early
		atLeast time.Duration // asynq's own backoff: 15 s and more
	}{
		{"Shopify's points over its restore rate", fmt.Errorf("write order 1: %w",
			&storeapi.Error{Code: "THROTTLED", Retryable: true, Wait: 3 * time.Second}), 4 * time.Second, 0},
		{"a Retry-After", &storeapi.Error{StatusCode: 429, Retryable: true, Wait: 20 * time.Second}, 21 * time.Second, 0},
		{"a 503 that says nothing", &storeapi.Error{StatusCode: 503, Retryable: true}, 0, 15 * time.Second},
		{"a transport error", errors.New("dial tcp: connection refused"), 0, 15 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := retryDelay(1, tc.err, task)
			if tc.want != 0 && got != tc.want {
				t.Errorf("delay %v, want %v", got, tc.want)
			}
			if tc.atLeast != 0 && got < tc.atLeast {
				t.Errorf("delay %v, want asynq's backoff of %v or more", got, tc.atLeast)
			}
		})
	}
}

func TestATaskThatFoundTheDatabaseAwayRetriesWithinSeconds(t *testing.T) {
	task := asynq.NewTask(TypeDelivery, nil)
	for _, tc := range []struct {
		name string
		err  error
		fast bool
	}{
		{"the server shutting down", fmt.Errorf("apply: %w", &pgconn.PgError{Code: "57P01"}), true},
		{"a connection refused", fmt.Errorf("apply: %w", &pgconn.ConnectError{}), true},
		{"a bad connection", driver.ErrBadConn, true},
		{"a constraint", &pgconn.PgError{Code: "23505"}, false},
		{"an HTTP call's network error", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for n, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
				got := retryDelay(n, tc.err, task)
				if tc.fast && got != want {
					t.Errorf("retry %d: delay %v, want %v", n, got, want)
				}
				if !tc.fast && got < 15*time.Second {
					t.Errorf("retry %d: delay %v, want asynq's backoff of 15 s or more", n, got)
				}
			}
		})
	}
}
