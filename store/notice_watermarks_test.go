package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func TestNoticeWatermarkNeverMovesBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop, err := s.AddShop(ctx, store.NewShop(store.Shopify, "mark.myshopify.com", "s"))
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		err = s.InTx(ctx, func(tx *store.Tx) error {
			if _, ok, err := tx.NoticeWatermark(ctx, shop.ID); err != nil || ok {
				t.Fatalf("watermark before any run: ok %v, %v", ok, err)
			}
			for _, at := range []time.Time{t0, t0.Add(time.Hour), t0.Add(30 * time.Minute)} {
				if err := tx.AdvanceNoticeWatermark(ctx, shop.ID, at); err != nil {
					return err
				}
			}
			got, ok, err := tx.NoticeWatermark(ctx, shop.ID)
			if err != nil || !ok || !got.Equal(t0.Add(time.Hour)) {
				t.Fatalf("watermark = %v, %v, %v; want t0+1h", got, ok, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
