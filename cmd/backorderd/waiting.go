package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/redis/go-redis/v9"
	"modernc.org/sqlite"
)

// waitFor retries a server that does not answer ping, handing each failure
// to report (readiness names it meanwhile), until it answers or ctx ends.
// A failure that waiting cannot mend (see retryable) stops it with an error
// naming variable, the setting to fix.
func waitFor(ctx context.Context, name, variable string, ping func(context.Context) error, report func(error),
	log *slog.Logger) error {
	delay := 500 * time.Millisecond
	for {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := ping(pctx)
		cancel()
		if err == nil {
			return nil
		}
		report(err)
		if ctx.Err() == nil && !retryable(err) {
			return fmt.Errorf("%s: the %s refuses it, which waiting will not change: %w", variable, name, err)
		}
		log.Warn(name+" unreachable; retrying", "err", err, "retry_in", delay.String())
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(delay):
		}
		delay = min(2*delay, 15*time.Second)
	}
}

// retryable reports whether a failed ping may succeed later with the same
// settings: the server is down, starting, overloaded or out of reach. It is
// not when the server answered and refused what the settings say (a wrong
// password, a database that does not exist, a certificate that does not
// verify, a Sentinel master name no sentinel knows), or when a SQLite file cannot be opened (it is local: nothing
// will come up) — those stop start-up, as a malformed value does.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code[:2] {
		case "28", "3D": // invalid authorization; invalid catalog name (no such database)
			return false
		}
		return true // starting up (57P03), too many connections (53300), …
	}
	var parseErr *pgconn.ParseConfigError
	var certErr *tls.CertificateVerificationError
	var authorityErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidErr x509.CertificateInvalidError
	if errors.As(err, &parseErr) || errors.As(err, &certErr) || errors.As(err, &authorityErr) ||
		errors.As(err, &hostErr) || errors.As(err, &invalidErr) {
		return false
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		const busy, locked = 5, 6 // another process holds the file for now
		code := liteErr.Code() & 0xff
		return code == busy || code == locked
	}
	if errors.Is(err, redis.Nil) {
		return false // sentinels answered, and none watches the master named
	}
	var redisErr redis.Error
	if errors.As(err, &redisErr) {
		msg := redisErr.Error()
		return !strings.HasPrefix(msg, "WRONGPASS") && !strings.HasPrefix(msg, "NOAUTH") &&
			!strings.Contains(msg, "invalid password") && !strings.Contains(msg, "DB index is out of range")
	}
	return true
}
