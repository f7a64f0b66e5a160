package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func TestShopSettingsAcceptWhatTheRulesAllowAndRefuseTheRest(t *testing.T) {
	tests := []struct {
		setting, value string
		ok             bool
		check          func(store.Shop) bool
	}{
		{store.SettingHandlingDays, "365", true, func(s store.Shop) bool { return s.HandlingDays == 365 }},
		{store.SettingHandlingDays, "366", false, nil},
		{store.SettingUpdateCadenceDays, "-1", false, nil},
		{store.SettingTimeZone, "America/Toronto", true, func(s store.Shop) bool { return s.TimeZone == "America/Toronto" }},
		{store.SettingTimeZone, "", false, nil},
		{store.SettingMerchantEmail, "", true, func(s store.Shop) bool { return s.MerchantEmail == "" }},
		{store.SettingReplyTo, "orders at shop", false, nil},
		{store.SettingWaitingCap, "0", true, func(s store.Shop) bool { return s.WaitingCap != nil && *s.WaitingCap == 0 }},
		{store.SettingWaitingCap, "none", true, func(s store.Shop) bool { return s.WaitingCap == nil }},
		{store.SettingMaxWaitDays, "0", true, func(s store.Shop) bool { return s.MaxWaitDays == nil }},
		{store.SettingMaxWaitDays, "3651", false, nil},
		{store.SettingStoreWrites, "eta, stock", true, func(s store.Shop) bool {
			return slices.Equal(s.OnWrites(), []string{store.WriteETA, store.WriteStock})
		}},
		{store.SettingStoreWrites, "none", true, func(s store.Shop) bool { return len(s.OnWrites()) == 0 }},
		{store.SettingStoreWrites, "tag,colour", false, nil},
		{store.SettingCustomerNote, "on", true, func(s store.Shop) bool { return s.CustomerNote }},
		{store.SettingCancelAfterMaxWait, "maybe", false, nil},
		{store.SettingTemplateIDs, `{"ready": "d-2"}`, true, func(s store.Shop) bool { return s.TemplateIDs == `{"ready":"d-2"}` }},
		{store.SettingTemplateIDs, `["d-2"]`, false, nil},
		{"colour", "teal", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.setting+"="+tt.value, func(t *testing.T) {
			shop := store.NewShop(store.Shopify, "a.myshopify.com", "s")
			before := shop
			err := shop.Set(tt.setting, tt.value)
			if (err == nil) != tt.ok {
				t.Fatalf("Set = %v, want ok %t", err, tt.ok)
			}
			if !tt.ok && shop != before {
				t.Errorf("a refused value changed the shop: %+v", shop)
			}
			if tt.ok && !tt.check(shop) {
				t.Errorf("after Set the shop is %+v", shop)
			}
		})
	}
}

func TestARotatedSecretKeepsTheOldOneAcceptedUntilItIsDropped(t *testing.T) {
	shop := store.NewShop(store.WooCommerce, "https://a.example/", "s1")
	shop.RotateSecret("s1")
	if got := shop.Secrets(); !slices.Equal(got, []string{"s1"}) {
		t.Fatalf("rotating to the current secret: secrets %v, want [s1]", got)
	}
	shop.RotateSecret("s2")
	if got := shop.Secrets(); !slices.Equal(got, []string{"s2", "s1"}) {
		t.Fatalf("after a rotation: secrets %v, want [s2 s1]", got)
	}
	shop.RotateSecret("s3")
	if got := shop.Secrets(); !slices.Equal(got, []string{"s3", "s2"}) {
		t.Fatalf("after a second rotation: secrets %v, want [s3 s2]", got)
	}
	shop.DropPreviousSecret()
	if got := shop.Secrets(); !slices.Equal(got, []string{"s3"}) {
		t.Fatalf("after the drop: secrets %v, want [s3]", got)
	}
}

func TestReplayCandidatesAreTheFailedAndRejectedDeliveriesOfTheRange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, _ := s.AddShop(ctx, store.NewShop(store.Shopify, "a.myshopify.com", "s"))
		b, _ := s.AddShop(ctx, store.NewShop(store.Shopify, "b.myshopify.com", "s"))
		t0 := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
		add := func(shopID int64, key string, at time.Time, status string) int64 {
			id, _, err := s.RecordDelivery(ctx, store.Delivery{ShopID: shopID, Topic: "orders/create", DedupeKey: key,
				Body: []byte(`{}`), ReceivedAt: at})
			if err == nil && status == store.InboxFailed {
				err = s.FailInbox(ctx, id, "dead")
			} else if err == nil && status != store.InboxAccepted {
				err = s.InTx(ctx, func(tx *store.Tx) error { return tx.FinishInbox(ctx, id, status, "") })
			}
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		f1 := add(a.ID, "1", t0, store.InboxFailed)
		r2 := add(a.ID, "2", t0.Add(time.Hour), store.InboxRejected)
		add(a.ID, "3", t0.Add(time.Hour), store.InboxProcessed)
		add(a.ID, "4", t0.Add(time.Hour), store.InboxAccepted)
		fb := add(b.ID, "5", t0.Add(2*time.Hour), store.InboxFailed)
		f6 := add(a.ID, "6", t0.Add(3*time.Hour), store.InboxFailed)
		both := []string{store.InboxFailed, store.InboxRejected}
		for _, tc := range []struct {
			name string
			f    store.ReplayFilter
			want []int64
		}{
			{"everything", store.ReplayFilter{Statuses: both, Limit: 10}, []int64{f1, r2, fb, f6}},
			{"one shop", store.ReplayFilter{ShopID: a.ID, Statuses: both, Limit: 10}, []int64{f1, r2, f6}},
			{"failed only", store.ReplayFilter{Statuses: []string{store.InboxFailed}, Limit: 10}, []int64{f1, fb, f6}},
			{"received in a range", store.ReplayFilter{Statuses: both, ReceivedFrom: t0.Add(time.Hour),
				ReceivedTo: t0.Add(2 * time.Hour), Limit: 10}, []int64{r2, fb}},
			{"ids in a range", store.ReplayFilter{Statuses: both, FromID: r2, ToID: fb, Limit: 10}, []int64{r2, fb}},
			{"limited", store.ReplayFilter{Statuses: both, Limit: 2}, []int64{f1, r2}},
		} {
			got, err := s.ReplayCandidates(ctx, tc.f)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("%s: %v, %v; want %v", tc.name, got, err, tc.want)
			}
		}
	})
}
