package webhooks_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func TestShopifyStoryFromSignedDeliveriesToBackorders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s)
		const shopify = "/webhooks/shopify"
		// Order #2417: 3 mugs (plenty), 5 kettles (2 in stock), 2 teapots (none).
		hd, body := fixture(t, "shopify/orders-create")
		h.deliver(t, shopify, hd, body)
		// The kettle variant maps to its inventory item; the teapot's too.
		hd, body = fixture(t, "shopify/products-update")
		h.deliver(t, shopify, hd, body)
		hd, body = reSigned(t, "shopify/products-update", shopifySecret, "X-Shopify-Hmac-Sha256",
			`"id":46021178499184`, `"id":46021178564720`, `"inventory_item_id":48811230042417`, `"inventory_item_id":48811230099001`,
			`"sku":"HK-KETTLE-1L-CPR"`, `"sku":"HK-TEAPOT-CAST-IND"`, `"id":46021178531952`, `"id":46021178531999`,
			`"inventory_item_id":48811230075185`, `"inventory_item_id":48811230075199`)
		hd.Set("X-Shopify-Event-Id", "teapot-product")
		h.deliver(t, shopify, hd, body)
		// The levels Shopify reports right after the order: kettle -3, teapot -2.
		for key, level := range map[string]string{"48811230042417": "-3", "48811230099001": "-2"} {
			hd, body = reSigned(t, "shopify/inventory_levels-update", shopifySecret, "X-Shopify-Hmac-Sha256",
				`"inventory_item_id":48811230042417`, `"inventory_item_id":`+key, `"available":9`, `"available":`+level,
				`"updated_at":"2025-11-24T14:05:33-05:00"`, `"updated_at":"2025-11-18T09:42:20-05:00"`)
			hd.Set("X-Shopify-Event-Id", "level-"+key)
			hd.Set("X-Shopify-Triggered-At", "2025-11-18T14:42:20.5Z")
			h.deliver(t, shopify, hd, body)
		}
		h.settle(t)
		kettle := h.backorderOf(t, h.shop.ID, "HK-KETTLE-1L-CPR")
		if kettle.Ordered != 5 || kettle.Backordered != 3 || kettle.Waiting != 3 || kettle.Status != "waiting" ||
			kettle.OrderName != "#2417" || kettle.CustomerEmail != "wren.okafor@example.net" {
			t.Fatalf("kettle = %+v, want 5 ordered, 3 waiting", kettle)
		}
		teapot := h.backorderOf(t, h.shop.ID, "HK-TEAPOT-CAST-IND")
		if teapot.Waiting != 2 || teapot.Backordered != 2 {
			t.Fatalf("teapot = %+v, want 2 waiting", teapot)
		}
		h.noBackorder(t, h.shop.ID, "HK-MUG-12OZ-SLT")
		// One confirmation for the order, listing both short lines.
		mails, err := s.ListEmails(context.Background(), store.EmailFilter{ShopID: h.shop.ID, Kind: "backordered", Limit: 10})
		if err != nil || len(mails) != 1 {
			t.Fatalf("confirmations = %+v, %v; want one for the order", mails, err)
		}
		c := mails[0]
		for _, want := range []string{"#2417", "HK-KETTLE-1L-CPR", "HK-TEAPOT-CAST-IND", "3 waiting", "2 waiting"} {
			if !strings.Contains(c.TextBody, want) || c.HTMLBody == "" {
				t.Errorf("confirmation lacks %q:\n%s", want, c.TextBody)
			}
		}
		if c.ToEmail != "wren.okafor@example.net" || !strings.HasPrefix(c.DedupeKey, "order:6120458839152:backordered:") || c.Status != store.EmailNotSent {
			t.Errorf("confirmation = to %q key %q status %q", c.ToEmail, c.DedupeKey, c.Status)
		}
		// The kettles arrive: 9 available.
		hd, body = fixture(t, "shopify/inventory_levels-update")
		h.deliver(t, shopify, hd, body)
		h.settle(t)
		kettle = h.backorderOf(t, h.shop.ID, "HK-KETTLE-1L-CPR")
		if kettle.Allocated != 3 || kettle.Waiting != 0 || kettle.Status != "allocated" {
			t.Fatalf("kettle after restock = %+v, want 3 allocated", kettle)
		}
		_, events, err := h.store.Backorder(context.Background(), kettle.ID)
		if err != nil || len(events) != 2 || events[0].Kind != "started_waiting" || events[1].Kind != "allocated" ||
			events[1].Quantity != 3 || events[1].Cause == "" {
			t.Fatalf("kettle trail = %+v, %v; want started_waiting then allocated 3, with causes", events, err)
		}
		if ready, _ := s.ListEmails(context.Background(), store.EmailFilter{ShopID: h.shop.ID, Kind: "ready", Limit: 10}); len(ready) != 1 ||
			ready[0].DedupeKey != "order:6120458839152:allocated:3" || !strings.Contains(ready[0].Subject, "Part of your order") {
			t.Errorf("ready emails = %+v, want one for the 3 kettles, the teapots still waiting", ready)
		}
		led, _ := h.store.Ledger(context.Background(), h.shop.ID, "46021178499184")
		if led.Owed != 0 || led.Waiting != 0 || led.Level == nil || *led.Level != 9 {
			t.Errorf("kettle ledger = %+v", led)
		}
		// The order is cancelled: the teapot stops waiting.
		hd, body = fixture(t, "shopify/orders-cancelled")
		h.deliver(t, shopify, hd, body)
		h.settle(t)
		if teapot = h.backorderOf(t, h.shop.ID, "HK-TEAPOT-CAST-IND"); teapot.Status != "cancelled" || teapot.Waiting != 0 || teapot.Allocated != 0 {
			t.Fatalf("teapot after cancellation = %+v, want cancelled with nothing allocated", teapot)
		}
	})
}

func TestWooCommerceStoryFromSignedDeliveriesToBackorders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s)
		const woo = "/webhooks/woocommerce"
		// Order 48213: 1 board (plenty), 3 aprons (1 in stock), 4 mugs (none).
		hd, body := fixture(t, "woocommerce/order-created")
		h.deliver(t, woo, hd, body)
		hd, body = fixture(t, "woocommerce/product-updated-variation") // apron: -2
		h.deliver(t, woo, hd, body)
		hd, body = reSigned(t, "woocommerce/product-updated", wooSecret, "X-WC-Webhook-Signature",
			`"stock_quantity":20`, `"stock_quantity":-4`) // the mug right after the order
		h.deliver(t, woo, hd, body)
		h.settle(t)
		apron := h.backorderOf(t, h.woo.ID, "LW-APRON-CHR")
		if apron.Ordered != 3 || apron.Waiting != 2 || apron.ItemID != "1517" {
			t.Fatalf("apron = %+v, want 2 of 3 waiting", apron)
		}
		if mug := h.backorderOf(t, h.woo.ID, "LW-MUG-ENM-SAGE"); mug.Waiting != 4 {
			t.Fatalf("mug = %+v, want 4 waiting", mug)
		}
		// The mugs are restocked: 20.
		hd, body = fixture(t, "woocommerce/product-updated")
		h.deliver(t, woo, hd, body)
		h.settle(t)
		if mug := h.backorderOf(t, h.woo.ID, "LW-MUG-ENM-SAGE"); mug.Allocated != 4 || mug.Status != "allocated" {
			t.Fatalf("mug after restock = %+v, want 4 allocated", mug)
		}
		// The order is cancelled: the apron stops waiting.
		hd, body = fixture(t, "woocommerce/order-updated-cancelled")
		h.deliver(t, woo, hd, body)
		h.settle(t)
		if apron := h.backorderOf(t, h.woo.ID, "LW-APRON-CHR"); apron.Status != "cancelled" || apron.Waiting != 0 {
			t.Fatalf("apron after cancellation = %+v, want cancelled", apron)
		}
	})
}

func TestCapOnWaitingUnitsShopDefaultAndItemOverride(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s)
		ctx := context.Background()
		woo := h.woo
		three := 3
		woo.WaitingCap = &three
		if _, err := s.UpdateShop(ctx, woo); err != nil {
			t.Fatal(err)
		}
		one := 1
		if err := s.SetItemCap(ctx, woo.ID, "1517", &one); err != nil { // the apron's own cap
			t.Fatal(err)
		}
		const path = "/webhooks/woocommerce"
		hd, body := fixture(t, "woocommerce/order-created")
		h.deliver(t, path, hd, body)
		hd, body = fixture(t, "woocommerce/product-updated-variation") // apron -2
		h.deliver(t, path, hd, body)
		hd, body = reSigned(t, "woocommerce/product-updated", wooSecret, "X-WC-Webhook-Signature",
			`"stock_quantity":20`, `"stock_quantity":-4`) // mug -4
		h.deliver(t, path, hd, body)
		h.settle(t)
		for _, tt := range []struct {
			item    string
			waiting int
			over    int
		}{{"1534", 4, 1}, {"1517", 2, 1}} {
			led, err := s.Ledger(ctx, woo.ID, tt.item)
			if err != nil || !led.AtCap || led.OverCap != tt.over || led.Waiting != tt.waiting {
				t.Errorf("item %s ledger = %+v, %v; want at cap, %d waiting, %d over", tt.item, led, err, tt.waiting, tt.over)
			}
		}
		// Orders over the cap still wait like any other.
		if mug := h.backorderOf(t, woo.ID, "LW-MUG-ENM-SAGE"); mug.Waiting != 4 {
			t.Errorf("mug = %+v, want all 4 waiting though over the cap", mug)
		}
	})
}

func TestFullCheckCorrectsDriftAndCountsIt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s)
		ctx := context.Background()
		const path = "/webhooks/woocommerce"
		hd, body := fixture(t, "woocommerce/order-created")
		h.deliver(t, path, hd, body)
		hd, body = fixture(t, "woocommerce/product-updated-variation") // apron -2
		h.deliver(t, path, hd, body)
		h.settle(t)
		apron := h.backorderOf(t, h.woo.ID, "LW-APRON-CHR")
		// Something outside the rules breaks the record (a bug, a hand edit).
		err := s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE backorders SET waiting = 0, status = 'allocated' WHERE id = ?`, apron.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// With nothing wrong, a check changes nothing; here it corrects one line.
		if err := h.handlers.FullCheck.ProcessTask(ctx, asynq.NewTask(jobs.TypeFullCheck, nil)); err != nil {
			t.Fatal(err)
		}
		h.settle(t)
		if apron = h.backorderOf(t, h.woo.ID, "LW-APRON-CHR"); apron.Waiting != 2 || apron.Status != "waiting" {
			t.Fatalf("apron after the full check = %+v, want 2 waiting again", apron)
		}
		led, _ := s.Ledger(ctx, h.woo.ID, "1517")
		if led.Drift != 1 {
			t.Errorf("drift = %d, want 1 corrected line", led.Drift)
		}
		if got := h.metric(t, "backorderd_drift_corrected_total"); got != 1 {
			t.Errorf("drift counter = %v, want 1", got)
		}
		if err := h.handlers.FullCheck.ProcessTask(ctx, asynq.NewTask(jobs.TypeFullCheck, nil)); err != nil {
			t.Fatal(err)
		}
		h.settle(t)
		if led, _ := s.Ledger(ctx, h.woo.ID, "1517"); led.Drift != 1 {
			t.Errorf("drift after a clean check = %d, want still 1", led.Drift)
		}
	})
}

func TestMerchantNoticesAndStatusUpdates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s)
		ctx := context.Background()
		woo := h.woo
		two := 2
		woo.MerchantEmail, woo.WaitingCap = "owner@larchwood.example", &two
		if _, err := s.UpdateShop(ctx, woo); err != nil {
			t.Fatal(err)
		}
		const path = "/webhooks/woocommerce"
		hd, body := fixture(t, "woocommerce/order-created")
		h.deliver(t, path, hd, body)
		hd, body = fixture(t, "woocommerce/product-updated-variation") // apron -2: at the cap of 2
		h.deliver(t, path, hd, body)
		h.settle(t)
		mails := func(kind string) []store.Email {
			es, err := s.ListEmails(ctx, store.EmailFilter{ShopID: woo.ID, Kind: kind, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			return es
		}
		if caps := mails("merchant_cap_reached"); len(caps) != 1 || caps[0].ToEmail != "owner@larchwood.example" ||
			!strings.Contains(caps[0].TextBody, "LW-APRON-CHR") {
			t.Fatalf("cap emails = %+v, want one to the merchant about the apron", caps)
		}
		notices := h.periodic
		// The hour in which the backorder appeared has ended.
		later := time.Now().Add(time.Hour)
		for i := 0; i < 2; i++ { // a second run (another replica, a retry) writes nothing more
			if err := notices.RunAt(ctx, later); err != nil {
				t.Fatal(err)
			}
		}
		if news := mails("merchant_new_backorders"); len(news) != 1 || !strings.Contains(news[0].TextBody, "2 units for 1 order\n") {
			t.Fatalf("new backorder notices = %+v", news)
		}
		// A week without news: the customer hears that it is still on its way.
		if err := notices.RunAt(ctx, time.Now().Add(3*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if ups := mails("status_update"); len(ups) != 0 {
			t.Fatalf("status update after 3 days = %+v, want none before the cadence", ups)
		}
		week := time.Now().Add(8 * 24 * time.Hour)
		for i := 0; i < 2; i++ {
			if err := notices.RunAt(ctx, week); err != nil {
				t.Fatal(err)
			}
		}
		ups := mails("status_update")
		if len(ups) != 1 || !strings.HasPrefix(ups[0].DedupeKey, "order:48213:update:") || !strings.Contains(ups[0].TextBody, "still on its way") {
			t.Fatalf("status updates = %+v, want one for order 48213", ups)
		}
		// One digest a local day (the shop's zone is UTC), from 07:00. The
		// runs above, days ahead, may have written digests of their own
		// days (whether depends on the hour this test runs): only
		// tomorrow's are counted.
		tomorrow := time.Now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
		tomorrows := func() []store.Email {
			var ds []store.Email
			for _, d := range mails("merchant_digest") {
				if d.DedupeKey == "digest:"+tomorrow.Format(time.DateOnly) {
					ds = append(ds, d)
				}
			}
			return ds
		}
		if err := notices.RunAt(ctx, tomorrow.Add(6*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if ds := tomorrows(); len(ds) != 0 {
			t.Fatalf("digests before 07:00 = %+v, want none", ds)
		}
		for _, at := range []time.Duration{8 * time.Hour, 9 * time.Hour} {
			if err := notices.RunAt(ctx, tomorrow.Add(at)); err != nil {
				t.Fatal(err)
			}
		}
		if ds := tomorrows(); len(ds) != 1 || !strings.Contains(ds[0].TextBody, "2 waiting for 1 order,") {
			t.Fatalf("digests = %+v, want one for tomorrow with the apron's 2 waiting units", ds)
		}
	})
}

func TestShopDynamicTemplateGoesWithTheSameData(t *testing.T) {
	s := storetest.New(t, store.SQLite)
	h := newHarness(t, s)
	ctx := context.Background()
	woo := h.woo
	woo.TemplateIDs = `{"backordered":"d-confirm-123"}`
	if _, err := s.UpdateShop(ctx, woo); err != nil {
		t.Fatal(err)
	}
	const path = "/webhooks/woocommerce"
	hd, body := fixture(t, "woocommerce/order-created")
	h.deliver(t, path, hd, body)
	hd, body = fixture(t, "woocommerce/product-updated-variation")
	h.deliver(t, path, hd, body)
	h.settle(t)
	es, _ := s.ListEmails(ctx, store.EmailFilter{Kind: "backordered", Limit: 5})
	if len(es) != 1 || es[0].TemplateID != "d-confirm-123" {
		t.Fatalf("confirmation = %+v, want the shop's template id", es)
	}
	for _, want := range []string{`"order_name":"48213"`, `"sku":"LW-APRON-CHR"`, `"waiting":2`} {
		if !strings.Contains(es[0].Data, want) {
			t.Errorf("template data %s lacks %s", es[0].Data, want)
		}
	}
}
