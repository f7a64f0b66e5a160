package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func TestShops(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop, err := s.AddShop(ctx, store.NewShop(store.Shopify, "a.myshopify.com", "s1"))
		if err != nil {
			t.Fatalf("add shop: %v", err)
		}
		if _, err := s.AddShop(ctx, store.NewShop(store.Shopify, "a.myshopify.com", "s2")); !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("second add of the same domain: err = %v, want ErrDuplicate", err)
		}
		// The same domain on the other platform is another shop.
		if _, err := s.AddShop(ctx, store.NewShop(store.WooCommerce, "a.myshopify.com", "s3")); err != nil {
			t.Fatalf("add woocommerce shop: %v", err)
		}
		shop.WebhookSecretPrevious, shop.WebhookSecret = shop.WebhookSecret, "s1-new"
		shop.Name, shop.HandlingDays = "Harbor Kiln", 3
		got, err := s.UpdateShop(ctx, shop)
		if err != nil {
			t.Fatalf("update shop: %v", err)
		}
		if got.Name != "Harbor Kiln" || got.HandlingDays != 3 || got.UpdateCadenceDays != 7 || got.TimeZone != "UTC" {
			t.Errorf("updated shop = %+v, want name, handling days 3 and defaults kept", got)
		}
		if want := []string{"s1-new", "s1"}; len(got.Secrets()) != 2 || got.Secrets()[0] != want[0] || got.Secrets()[1] != want[1] {
			t.Errorf("secrets = %v, want %v", got.Secrets(), want)
		}
		byDomain, err := s.ShopByDomain(ctx, store.Shopify, "a.myshopify.com")
		if err != nil || byDomain.ID != shop.ID {
			t.Fatalf("ShopByDomain = %+v, %v; want shop %d", byDomain, err, shop.ID)
		}
		if _, err := s.ShopByDomain(ctx, store.Shopify, "b.myshopify.com"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown shop: err = %v, want ErrNotFound", err)
		}
		all, err := s.Shops(ctx)
		if err != nil || len(all) != 2 {
			t.Fatalf("Shops = %d shops, %v; want 2", len(all), err)
		}
		if _, err := s.UpdateShop(ctx, store.Shop{ID: 999}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("update of a missing shop: err = %v, want ErrNotFound", err)
		}
	})
}

func TestAShopsReorderSettingsDefaultAndAreWritten(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop := addShop(t, s)
		if shop.Reorder != store.ReorderPeriodic || shop.POApproval != store.POApprovalManual || shop.MaxWaitDays != nil {
			t.Errorf("a new shop = %q, %q, max wait %v; want periodic, manual, no limit", shop.Reorder, shop.POApproval, shop.MaxWaitDays)
		}
		shop.Reorder, shop.POApproval, shop.MaxWaitDays = store.ReorderImmediate, store.POApprovalAuto, ptr(21)
		if _, err := s.UpdateShop(ctx, shop); err != nil {
			t.Fatal(err)
		}
		got, err := s.Shop(ctx, shop.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Reorder != store.ReorderImmediate || got.POApproval != store.POApprovalAuto || got.MaxWaitDays == nil || *got.MaxWaitDays != 21 {
			t.Errorf("updated shop = %q, %q, max wait %v; want immediate, auto, 21", got.Reorder, got.POApproval, got.MaxWaitDays)
		}
		added := store.NewShop(store.Shopify, "b.myshopify.com", "s")
		added.Reorder, added.MaxWaitDays = store.ReorderImmediate, ptr(5)
		if added, err = s.AddShop(ctx, added); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Shop(ctx, added.ID); got.Reorder != store.ReorderImmediate || got.MaxWaitDays == nil || *got.MaxWaitDays != 5 {
			t.Errorf("added shop = %q, max wait %v; want immediate, 5", got.Reorder, got.MaxWaitDays)
		}
		shop.Reorder = "hourly"
		if _, err := s.UpdateShop(ctx, shop); err == nil {
			t.Error("a reorder setting the schema does not know was written")
		}
	})
}

func TestModifyShopWritesOnlyWhatChangedAndNothingWhenNothingDid(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop := addShop(t, s)
		later := shop.UpdatedAt.Add(time.Hour)
		s.SetClock(func() time.Time { return later }) // a write would stamp this
		// Every replica starting with the same environment modifies the shop
		// to what it already is: no write, updated_at as it was.
		same, err := s.ModifyShop(ctx, shop.ID, func(sh *store.Shop) error { sh.Name = shop.Name; return nil })
		if err != nil {
			t.Fatal(err)
		}
		if !same.UpdatedAt.Equal(shop.UpdatedAt) {
			t.Errorf("a change to the same values wrote the shop: updated_at %v, was %v", same.UpdatedAt, shop.UpdatedAt)
		}
		got, err := s.ModifyShop(ctx, shop.ID, func(sh *store.Shop) error { sh.Name = "Harbor Kiln"; return nil })
		if err != nil || got.Name != "Harbor Kiln" || got.WebhookSecret != shop.WebhookSecret {
			t.Errorf("ModifyShop = %+v, %v; want the new name and the rest kept", got, err)
		}
		refused := errors.New("refused")
		if _, err := s.ModifyShop(ctx, shop.ID, func(sh *store.Shop) error { sh.Name = "x"; return refused }); !errors.Is(err, refused) {
			t.Errorf("a change that fails = %v, want its error", err)
		}
		if now, _ := s.Shop(ctx, shop.ID); now.Name != "Harbor Kiln" {
			t.Errorf("a failed change was written: name %q", now.Name)
		}
		if _, err := s.ModifyShop(ctx, 999, func(*store.Shop) error { return nil }); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a missing shop = %v, want ErrNotFound", err)
		}
	})
}
