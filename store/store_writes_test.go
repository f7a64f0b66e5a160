package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func TestAStoreWriteIsPendingUntilItsStateIsWrittenAndWantedAgainIsNoChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop, err := s.AddShop(ctx, store.NewShop(store.Shopify, "w.myshopify.com", "s"))
		if err != nil {
			t.Fatal(err)
		}
		want := func(wanted, hash string) (store.WriteBack, bool) {
			t.Helper()
			var w store.WriteBack
			var changed bool
			if err := s.InTx(ctx, func(tx *store.Tx) (err error) {
				w, changed, err = tx.WantStoreWrite(ctx, shop.ID, store.StoreWriteOrder, "1001", wanted, hash)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return w, changed
		}
		steps := []struct {
			name        string
			do          func() (store.WriteBack, bool)
			wantStatus  string
			wantChanged bool
		}{
			{"a new subject waits for its write", func() (store.WriteBack, bool) { return want("a", "ha") }, store.StoreWritePending, true},
			{"the same state again is no change", func() (store.WriteBack, bool) { return want("a", "ha") }, store.StoreWritePending, false},
			{"a new state before the write is a change", func() (store.WriteBack, bool) { return want("b", "hb") }, store.StoreWritePending, true},
			{"writing the state of before leaves it pending", func() (store.WriteBack, bool) {
				w, _ := want("b", "hb")
				w, err := s.StoreWritten(ctx, w.ID, "ha")
				if err != nil {
					t.Fatal(err)
				}
				return w, false
			}, store.StoreWritePending, false},
			{"writing the state wanted is done", func() (store.WriteBack, bool) {
				w, _ := want("b", "hb")
				w, err := s.StoreWritten(ctx, w.ID, "hb")
				if err != nil {
					t.Fatal(err)
				}
				return w, false
			}, store.StoreWriteDone, false},
			{"the written state wanted again stays done", func() (store.WriteBack, bool) { return want("b", "hb") }, store.StoreWriteDone, false},
			{"a state refused for good is failed", func() (store.WriteBack, bool) {
				w, _ := want("c", "hc")
				if err := s.StoreWriteFailed(ctx, w.ID, "hc", "status 422: no such order", true); err != nil {
					t.Fatal(err)
				}
				w, err := s.StoreWrite(ctx, w.ID)
				if err != nil {
					t.Fatal(err)
				}
				if w.LastError != "status 422: no such order" || w.Attempts != 1 {
					t.Fatalf("failed write: last_error %q attempts %d, want the reason and 1", w.LastError, w.Attempts)
				}
				return w, false
			}, store.StoreWriteFailed, false},
			{"a failed state wanted again stays failed", func() (store.WriteBack, bool) { return want("c", "hc") }, store.StoreWriteFailed, false},
			{"a new state after a failure is pending again", func() (store.WriteBack, bool) { return want("d", "hd") }, store.StoreWritePending, true},
			{"the state of before wanted again while a newer one is written is pending", func() (store.WriteBack, bool) {
				w, _ := want("d", "hd")
				if _, err := s.StoreWritten(ctx, w.ID, "hd"); err != nil { // d is in the store
					t.Fatal(err)
				}
				want("e", "he") // a writer takes e to the store…
				if w, _ := want("d", "hd"); w.Status != store.StoreWriteDone {
					t.Fatalf("d wanted again while e is written: %s, want done (d is what the row says was written)", w.Status)
				}
				w, err := s.StoreWritten(ctx, w.ID, "he") // …and e lands: d must be written again
				if err != nil {
					t.Fatal(err)
				}
				return w, false
			}, store.StoreWritePending, false},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				w, changed := st.do()
				if w.Status != st.wantStatus || changed != st.wantChanged {
					t.Fatalf("status %s changed %v, want %s %v", w.Status, changed, st.wantStatus, st.wantChanged)
				}
			})
		}
		ws, err := s.ListStoreWrites(ctx, store.WriteBackFilter{ShopID: shop.ID, Status: store.StoreWritePending, Limit: 10})
		if err != nil || len(ws) != 1 || ws[0].Wanted != "d" || ws[0].WrittenHash != "he" || ws[0].Attempts != 0 || ws[0].LastError != "" {
			t.Fatalf("pending writes = %+v, %v; want the one of state d (e written), no attempts, no error", ws, err)
		}
		pending, err := s.PendingStoreWrites(ctx, shop.ID, time.Now().Add(time.Hour), 0, 10)
		if err != nil || len(pending) != 1 {
			t.Fatalf("pending = %d, %v; want 1", len(pending), err)
		}
	})
}

func TestAStorePollWatermarkNeverMovesBackAndASilenceIsNotedOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop, err := s.AddShop(ctx, store.NewShop(store.Shopify, "p.myshopify.com", "s"))
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
		for _, tc := range []struct {
			name string
			mark *time.Time
			want *time.Time
		}{
			{"no watermark yet", nil, nil},
			{"first", &t0, &t0},
			{"older is ignored", ptr(t0.Add(-time.Hour)), &t0},
			{"none keeps it", nil, &t0},
			{"newer moves it", ptr(t0.Add(time.Hour)), ptr(t0.Add(time.Hour))},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if err := s.SaveStorePoll(ctx, store.PollState{ShopID: shop.ID, Watermark: tc.mark, LastSeen: 3}); err != nil {
					t.Fatal(err)
				}
				p, err := s.StorePoll(ctx, shop.ID)
				if err != nil {
					t.Fatal(err)
				}
				if (p.Watermark == nil) != (tc.want == nil) || (p.Watermark != nil && !p.Watermark.Equal(*tc.want)) {
					t.Fatalf("watermark %v, want %v", p.Watermark, tc.want)
				}
				if p.LastSeen != 3 || p.LastRunAt == nil {
					t.Fatalf("last_seen %d last_run_at %v, want 3 and a time", p.LastSeen, p.LastRunAt)
				}
			})
		}
		for i, want := range []bool{true, false, true} {
			at := t0
			if i == 2 {
				at = t0.Add(24 * time.Hour) // a later silence
			}
			got, err := s.NoteSilence(ctx, shop.ID, at)
			if err != nil || got != want {
				t.Fatalf("note silence %d = %v, %v; want %v", i, got, err, want)
			}
		}
	})
}

func TestOneWriterAtATimeLeasesAStoreWrite(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop, err := s.AddShop(ctx, store.NewShop(store.Shopify, "lease.myshopify.com", "s"))
		if err != nil {
			t.Fatal(err)
		}
		var w store.WriteBack
		if err := s.InTx(ctx, func(tx *store.Tx) (err error) {
			w, _, err = tx.WantStoreWrite(ctx, shop.ID, store.StoreWriteOrder, "1001", `{}`, "h1")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		lease := func(d time.Duration) bool {
			t.Helper()
			ok, err := s.LeaseStoreWrite(ctx, w.ID, d)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !lease(time.Minute) {
			t.Fatal("a free row could not be leased")
		}
		if lease(time.Minute) {
			t.Fatal("a leased row was leased again")
		}
		if err := s.ReleaseStoreWrite(ctx, w.ID); err != nil {
			t.Fatal(err)
		}
		if !lease(-time.Second) {
			t.Fatal("a released row could not be leased")
		}
		if !lease(time.Minute) {
			t.Error("a lease that expired (its writer died) still holds the row")
		}
	})
}
