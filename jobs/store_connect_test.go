package jobs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/integrations/storeapi"
	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func TestConnectingTellsTheMerchantOfReenabledWebhooksOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := jobs.NewHarness(t, s)
		ctx := context.Background()
		shop := store.NewShop(store.WooCommerce, "https://larch.example/", "")
		shop.Name, shop.MerchantEmail = "Larchwood", "owner@larch.example"
		shop, err := s.AddShop(ctx, shop)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetShopCredentials(ctx, shop.ID, []byte("sealed")); err != nil {
			t.Fatal(err)
		}
		h.Stores.SetConnect(storeapi.ConnectReport{Reenabled: []storeapi.Subscription{
			{ID: "5", Topic: "order.created", Status: "active"}, {ID: "6", Topic: "order.updated", Status: "active"}}})
		h.StartWorker()
		// At install, through the outbox; then by hand, the same day.
		h.RunOutbox(jobs.TypeStoreConnect, jobs.StoreConnectArgs{ShopID: shop.ID})
		shop, _ = s.Shop(ctx, shop.ID)
		if _, err := jobs.ConnectShop(ctx, s, h.Stores, h.Dispatcher, shop, jobs.FakePublicURL); err != nil {
			t.Fatal(err)
		}
		calls := h.Stores.Calls("Connect", false)
		if len(calls) != 2 {
			t.Fatalf("connects = %d, want 2", len(calls))
		}
		args := calls[0].Arg.([2]string)
		if args[0] != jobs.FakePublicURL+"/webhooks/woocommerce" || args[1] == "" || args[1] != shop.WebhookSecret ||
			calls[1].Arg.([2]string)[1] != shop.WebhookSecret {
			t.Errorf("connect given %q, shop secret %q; want the callback and the saved secret each time", args, shop.WebhookSecret)
		}
		es := h.Emails(shop.ID, "merchant_webhooks_reenabled", "")
		if len(es) != 1 || !strings.Contains(es[0].TextBody, "order.created") || !strings.Contains(es[0].TextBody, "order.updated") {
			t.Fatalf("re-enabled notices = %+v, want one listing both topics", es)
		}
	})
}

// A shop connected while orders already wait, and an item is at its cap,
// gets them written at once; connecting again writes nothing.
func TestConnectingWritesWhatBackorderdAlreadyKnows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := jobs.NewHarness(t, s)
		ctx := context.Background()
		one := 1
		shop := storeShop(t, h, "late.myshopify.com", false, func(sh *store.Shop) { sh.WaitingCap = &one })
		h.StartWorker()
		t0 := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
		kettleWaits(t, h, shop, t0)
		quiet()
		if calls := h.Stores.Calls("", false); len(calls) != 0 {
			t.Fatalf("calls to the store of a shop without credentials: %+v", calls)
		}
		if err := s.SetShopCredentials(ctx, shop.ID, []byte("sealed")); err != nil {
			t.Fatal(err)
		}
		if _, err := jobs.ConnectShop(ctx, s, h.Stores, h.Dispatcher, shop, jobs.FakePublicURL); err != nil {
			t.Fatal(err)
		}
		h.WaitFor("the waiting order and the stop written", func() bool {
			return len(h.Stores.Calls("SyncOrder", true)) == 1 && len(h.Stores.Calls("SetSelling", true)) == 1
		})
		if o := h.Stores.Calls("SyncOrder", true)[0].Arg.(storeapi.Order); o.OrderID != "601" || !o.Waiting() {
			t.Errorf("order written = %+v, want 601 waiting", o)
		}
		if it := h.Stores.Calls("SetSelling", true)[0].Arg.(storeapi.Item); it.ItemID != "777" || !it.StopSelling {
			t.Errorf("selling written = %+v, want 777 stopped", it)
		}
		if _, err := jobs.ConnectShop(ctx, s, h.Stores, h.Dispatcher, shop, jobs.FakePublicURL); err != nil {
			t.Fatal(err)
		}
		quiet()
		if n, m := len(h.Stores.Calls("SyncOrder", false)), len(h.Stores.Calls("SetSelling", false)); n != 1 || m != 1 {
			t.Errorf("after connecting again: %d order and %d selling writes, want the first ones only", n, m)
		}
	})
}
