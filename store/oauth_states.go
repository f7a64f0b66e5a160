package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// OAuth install states: see migration 00016.

// oauthStateKept is how long a state row stays after it expired, for an
// operator looking into a failed install; older rows are purged.
const oauthStateKept = 24 * time.Hour

// AddOAuthState records a state issued for an install of the shop at
// domain, valid until expiresAt, and purges states long expired.
func (s *Store) AddOAuthState(ctx context.Context, state, domain string, expiresAt time.Time) error {
	const purge = `DELETE FROM oauth_states WHERE expires_at < ?`
	const q = `INSERT INTO oauth_states (state, shop_domain, created_at, expires_at) VALUES (?, ?, ?, ?)`
	now := s.nowUTC()
	return s.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(purge), now.Add(-oauthStateKept)); err != nil {
			return fmt.Errorf("purge oauth states: %w", translate(err))
		}
		if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), state, domain, now, expiresAt.UTC()); err != nil {
			return fmt.Errorf("add oauth state: %w", translate(err))
		}
		return nil
	})
}

// ErrOAuthState is a state a callback may not use: unknown, used,
// expired, or issued for another shop. Its message says which.
var ErrOAuthState = errors.New("oauth state refused")

// ConsumeOAuthState uses the state for the shop at domain, once: of two
// callbacks with one state, only one succeeds. ErrOAuthState when it is
// unknown, used, expired or another shop's.
func (s *Store) ConsumeOAuthState(ctx context.Context, state, domain string) error {
	const q = `UPDATE oauth_states SET used_at = ?
	WHERE state = ? AND shop_domain = ? AND used_at IS NULL AND expires_at > ?`
	now := s.nowUTC()
	res, err := s.db.ExecContext(ctx, s.db.Rebind(q), now, state, domain, now)
	if err != nil {
		return fmt.Errorf("consume oauth state: %w", translate(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("consume oauth state: %w", translate(err))
	} else if n == 1 {
		return nil
	}
	return s.whyOAuthStateRefused(ctx, state, domain, now)
}

// whyOAuthStateRefused says, for the log, why a state could not be used.
func (s *Store) whyOAuthStateRefused(ctx context.Context, state, domain string, now time.Time) error {
	const q = `SELECT shop_domain, expires_at, used_at FROM oauth_states WHERE state = ?`
	var row struct {
		Domain    string     `db:"shop_domain"`
		ExpiresAt time.Time  `db:"expires_at"`
		UsedAt    *time.Time `db:"used_at"`
	}
	err := s.db.GetContext(ctx, &row, s.db.Rebind(q), state)
	switch {
	case errors.Is(translate(err), ErrNotFound):
		return fmt.Errorf("%w: unknown state", ErrOAuthState)
	case err != nil:
		return fmt.Errorf("consume oauth state: %w", translate(err))
	case row.Domain != domain:
		return fmt.Errorf("%w: issued for another shop", ErrOAuthState)
	case row.UsedAt != nil:
		return fmt.Errorf("%w: already used", ErrOAuthState)
	case !row.ExpiresAt.After(now):
		return fmt.Errorf("%w: expired", ErrOAuthState)
	}
	return fmt.Errorf("%w: not usable", ErrOAuthState)
}
