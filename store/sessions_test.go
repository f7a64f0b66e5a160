package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func TestALoggedOutSessionIsKeptUntilItsExpiryThenPurged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
		s.SetClock(func() time.Time { return now })
		revoked := func(nonce string) bool {
			t.Helper()
			ok, err := s.SessionRevoked(ctx, nonce)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if err := s.RevokeSession(ctx, "early", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeSession(ctx, "late", now.Add(12*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeSession(ctx, "late", now.Add(12*time.Hour)); err != nil {
			t.Errorf("logging a session out twice: %v", err)
		}
		if !revoked("early") || !revoked("late") || revoked("other") {
			t.Fatalf("revoked early %v, late %v, other %v; want the two logged out", revoked("early"), revoked("late"), revoked("other"))
		}
		// Past the first one's expiry, the next logout purges it: its
		// cookie has expired anyway.
		now = now.Add(2 * time.Hour)
		if err := s.RevokeSession(ctx, "next", now.Add(12*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if revoked("early") || !revoked("late") || !revoked("next") {
			t.Errorf("after the first expired: early %v, late %v, next %v; want it purged, the others kept",
				revoked("early"), revoked("late"), revoked("next"))
		}
	})
}
