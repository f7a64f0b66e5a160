package store_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func TestShopCredentialsAreKeptReplacedAndForgotten(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		add := func(domain string) store.Shop {
			t.Helper()
			shop, err := s.AddShop(ctx, store.NewShop(store.WooCommerce, domain, "s"))
			if err != nil {
				t.Fatal(err)
			}
			return shop
		}
		shop, other := add("https://creds.example/"), add("https://other.example/")
		has := func(id int64) bool {
			t.Helper()
			var ok bool
			if err := s.InTx(ctx, func(tx *store.Tx) (err error) {
				ok, err = tx.ShopHasCredentials(ctx, id)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if _, err := s.ShopCredentials(ctx, shop.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("credentials of a new shop: err = %v, want ErrNotFound", err)
		}
		if has(shop.ID) {
			t.Fatal("a new shop has credentials")
		}
		for _, sealed := range [][]byte{[]byte("sealed-1"), []byte("sealed-2")} {
			if err := s.SetShopCredentials(ctx, shop.ID, sealed); err != nil {
				t.Fatal(err)
			}
			got, err := s.ShopCredentials(ctx, shop.ID)
			if err != nil || !bytes.Equal(got, sealed) {
				t.Fatalf("credentials = %q, %v; want %q", got, err, sealed)
			}
		}
		if n, err := s.CountShopCredentials(ctx); err != nil || n != 1 {
			t.Fatalf("count = %d, %v; want 1", n, err)
		}
		if !has(shop.ID) || has(other.ID) {
			t.Fatalf("has credentials: shop %t, other %t; want true, false", has(shop.ID), has(other.ID))
		}
		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.UninstallShop(ctx, shop.ID) }); err != nil {
			t.Fatal(err)
		}
		if has(shop.ID) {
			t.Error("an uninstalled shop can still be written to")
		}
		if err := s.DeleteShopCredentials(ctx, shop.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ShopCredentials(ctx, shop.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after delete: err = %v, want ErrNotFound", err)
		}
	})
}
