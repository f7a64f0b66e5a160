package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func ptr[T any](v T) *T { return &v }

// teapot is item 42, SKU TEAPOT, reported under stock key K42, as of t0+d
// with sequence seq.
func teapot(quantity *int, d time.Duration, seq int64) backorder.Item {
	return backorder.Item{ItemID: "42", ProductID: "7", StockKey: "K42", SKU: "TEAPOT", Title: "Teapot",
		ContinueSelling: ptr(true), Quantity: quantity, Version: backorder.Version{At: t0.Add(d), Seq: seq}}
}

func applyItem(t *testing.T, s *store.Store, shopID int64, it backorder.Item) bool {
	t.Helper()
	var applied bool
	inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
		var err error
		applied, err = tx.ApplyItem(ctx, shopID, it)
		return err
	})
	return applied
}

func TestAnItemTakesOnlyANewerStateAndComesBackAfterADeletion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop := addShop(t, s)
		steps := []struct {
			what    string
			it      backorder.Item
			applied bool
			want    int
		}{
			{"the first state", teapot(ptr(5), 0, 1), true, 5},
			{"an older state", teapot(ptr(9), -time.Second, 5), false, 5},
			{"the same version again", teapot(ptr(9), 0, 1), false, 5},
			{"the same time with a higher sequence", teapot(ptr(4), 0, 2), true, 4},
		}
		for _, st := range steps {
			if got := applyItem(t, s, shop.ID, st.it); got != st.applied {
				t.Errorf("%s: applied = %v, want %v", st.what, got, st.applied)
			}
			if got, err := s.Item(ctx, shop.ID, "42"); err != nil || got.Quantity == nil || *got.Quantity != st.want {
				t.Errorf("after %s: item = %+v, %v; want quantity %d", st.what, got, err, st.want)
			}
		}
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.DeleteItem(ctx, shop.ID, "42") })
		if got, _ := s.Item(ctx, shop.ID, "42"); !got.Deleted || got.Quantity == nil || *got.Quantity != 4 {
			t.Fatalf("deleted item = %+v, want deleted, kept", got)
		}
		applyItem(t, s, shop.ID, teapot(nil, time.Minute, 0))
		got, _ := s.Item(ctx, shop.ID, "42")
		if got.Deleted || got.Quantity != nil || got.SKU != "TEAPOT" || got.StockKey != "K42" || !got.StateAt.Equal(t0.Add(time.Minute)) {
			t.Errorf("item after a newer state = %+v, want it back, unmanaged", got)
		}
	})
}

func TestItemsAreFoundByIDOrSKUInOneShopOrInAll(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := addShopAt(t, s, "a.myshopify.com"), addShopAt(t, s, "b.myshopify.com")
		applyItem(t, s, a.ID, teapot(ptr(1), 0, 0))
		applyItem(t, s, b.ID, teapot(ptr(2), 0, 0))
		// Item 77 only orders name; item 42's lines do not make it an
		// ordered-only item.
		applyOrder(t, s, a.ID, order1001(0, 0, line("L1", "77", 1), line("L2", "42", 1)))
		shops := func(its []store.ItemRecord, err error) string {
			if err != nil {
				t.Fatal(err)
			}
			out := ""
			for _, it := range its {
				out += fmt.Sprintf("%d:%s:%s ", it.ShopID, it.ItemID, it.SKU)
			}
			return out
		}
		tests := []struct {
			what string
			got  string
			want string
		}{
			{"item 42 in any shop", shops(s.ItemsByID(ctx, 0, "42")), fmt.Sprintf("%d:42:TEAPOT %d:42:TEAPOT ", a.ID, b.ID)},
			{"item 42 in shop b", shops(s.ItemsByID(ctx, b.ID, "42")), fmt.Sprintf("%d:42:TEAPOT ", b.ID)},
			{"TEAPOT in any shop", shops(s.ItemsBySKU(ctx, 0, "TEAPOT")), fmt.Sprintf("%d:42:TEAPOT %d:42:TEAPOT ", a.ID, b.ID)},
			{"TEAPOT in shop a", shops(s.ItemsBySKU(ctx, a.ID, "TEAPOT")), fmt.Sprintf("%d:42:TEAPOT ", a.ID)},
			{"item 77 described", shops(s.ItemsByID(ctx, 0, "77")), ""},
			{"item 77 ordered, any shop", shops(s.OrderedItemsByID(ctx, 0, "77")), fmt.Sprintf("%d:77:SKU-77 ", a.ID)},
			{"item 77 ordered, shop b", shops(s.OrderedItemsByID(ctx, b.ID, "77")), ""},
			{"SKU-77 ordered, shop a", shops(s.OrderedItemsBySKU(ctx, a.ID, "SKU-77")), fmt.Sprintf("%d:77:SKU-77 ", a.ID)},
			{"item 42 ordered", shops(s.OrderedItemsByID(ctx, 0, "42")), ""},
		}
		for _, tt := range tests {
			if tt.got != tt.want {
				t.Errorf("%s = %q, want %q", tt.what, tt.got, tt.want)
			}
		}
	})
}
