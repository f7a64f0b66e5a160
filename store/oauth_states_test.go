package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func TestAnOAuthStateIsUsedOnceForItsShopBeforeItExpires(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
		s.SetClock(func() time.Time { return now })
		const shop, other = "install.myshopify.com", "other.myshopify.com"
		for _, st := range []string{"fresh", "replayed", "late", "stolen", "raced"} {
			if err := s.AddOAuthState(ctx, st, shop, now.Add(10*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.AddOAuthState(ctx, "fresh", shop, now.Add(10*time.Minute)); !errors.Is(err, store.ErrDuplicate) {
			t.Errorf("the same state twice: err = %v, want ErrDuplicate", err)
		}
		if err := s.ConsumeOAuthState(ctx, "fresh", shop); err != nil {
			t.Errorf("a fresh state: %v, want it used", err)
		}
		_ = s.ConsumeOAuthState(ctx, "replayed", shop)
		tests := []struct {
			name, state, domain string
			at                  time.Duration
			want                string
		}{
			{"replayed", "replayed", shop, 0, "already used"},
			{"unknown", "never-issued", shop, 0, "unknown state"},
			{"another shop", "stolen", other, 0, "issued for another shop"},
			{"expired", "late", shop, 10 * time.Minute, "expired"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s.SetClock(func() time.Time { return now.Add(tt.at) })
				defer s.SetClock(func() time.Time { return now })
				err := s.ConsumeOAuthState(ctx, tt.state, tt.domain)
				if !errors.Is(err, store.ErrOAuthState) || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("consume = %v, want ErrOAuthState saying %q", err, tt.want)
				}
			})
		}
		// Tried for another shop, the state is still its own shop's.
		if err := s.ConsumeOAuthState(ctx, "stolen", shop); err != nil {
			t.Errorf("a state once presented for another shop: %v, want it still usable by its own", err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Go(func() { errs <- s.ConsumeOAuthState(ctx, "raced", shop) })
		}
		wg.Wait()
		close(errs)
		used := 0
		for err := range errs {
			if err == nil {
				used++
			} else if !errors.Is(err, store.ErrOAuthState) {
				t.Errorf("racing callback: %v", err)
			}
		}
		if used != 1 {
			t.Errorf("four callbacks at once with one state: %d used it, want 1", used)
		}
	})
}

func TestOAuthStatesLongExpiredArePurged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
		s.SetClock(func() time.Time { return now })
		if err := s.AddOAuthState(ctx, "old", "a.myshopify.com", now.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		s.SetClock(func() time.Time { return now.Add(48 * time.Hour) })
		if err := s.AddOAuthState(ctx, "new", "a.myshopify.com", now.Add(48*time.Hour+10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := s.ConsumeOAuthState(ctx, "old", "a.myshopify.com"); err == nil || !strings.Contains(err.Error(), "unknown state") {
			t.Errorf("a state expired two days ago: %v, want it purged (unknown state)", err)
		}
	})
}
