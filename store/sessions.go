package store

import (
	"context"
	"fmt"
	"time"
)

// Browser sessions logged out before their expiry: see migration 00022.

// RevokeSession keeps the session nonce as logged out until expiresAt,
// when its cookie expires anyway, and purges the sessions already past
// theirs. Revoking a session twice is no error.
func (s *Store) RevokeSession(ctx context.Context, nonce string, expiresAt time.Time) error {
	const purge = `DELETE FROM revoked_sessions WHERE expires_at < ?`
	const q = `INSERT INTO revoked_sessions (nonce, expires_at, revoked_at) VALUES (?, ?, ?)
	ON CONFLICT (nonce) DO NOTHING`
	now := s.nowUTC()
	return s.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(purge), now); err != nil {
			return fmt.Errorf("purge expired sessions: %w", translate(err))
		}
		if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), nonce, expiresAt.UTC(), now); err != nil {
			return fmt.Errorf("revoke session: %w", translate(err))
		}
		return nil
	})
}

// SessionRevoked tells whether the session nonce was logged out.
func (s *Store) SessionRevoked(ctx context.Context, nonce string) (bool, error) {
	const q = `SELECT COUNT(*) FROM revoked_sessions WHERE nonce = ?`
	var n int
	if err := s.db.GetContext(ctx, &n, s.db.Rebind(q), nonce); err != nil {
		return false, fmt.Errorf("read revoked sessions: %w", translate(err))
	}
	return n > 0, nil
}
