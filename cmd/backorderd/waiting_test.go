package main

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestOnlyAServerThatIsDownOrBusyIsWaitedFor(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", fmt.Errorf("ping postgres: %w", refused), true},
		{"PostgreSQL starting up", &pgconn.PgError{Code: "57P03"}, true},
		{"too many connections", &pgconn.PgError{Code: "53300"}, true},
		{"wrong password", fmt.Errorf("ping postgres: %w", &pgconn.PgError{Code: "28P01"}), false},
		{"no pg_hba entry", &pgconn.PgError{Code: "28000"}, false},
		{"no such database", &pgconn.PgError{Code: "3D000"}, false},
		{"anything else", errors.New("i/o timeout"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := retryable(tt.err); got != tt.want {
				t.Errorf("retryable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
