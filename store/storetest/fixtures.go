package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/store"
)

// ShopWithOrder registers a WooCommerce shop at domain and records its
// order 48213 of two units of item 1517 (SKU LW-APRON-CHR), which no
// product delivery has described: an item known from order lines only.
func ShopWithOrder(t testing.TB, s *store.Store, domain string) store.Shop {
	t.Helper()
	ctx := context.Background()
	shop, err := s.AddShop(ctx, store.NewShop(store.WooCommerce, domain, "s"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	err = s.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.ApplyOrder(ctx, shop.ID, backorder.Order{OrderID: "48213", Name: "48213",
			Status: backorder.OrderOpen, PlacedAt: now, UpdatedAt: now, Version: backorder.Version{At: now},
			Lines: []backorder.Line{{LineID: "1", ItemID: "1517", ProductID: "1500", SKU: "LW-APRON-CHR",
				Title: "Apron — Charcoal", Quantity: 2, OpenUnits: 2}}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return shop
}
