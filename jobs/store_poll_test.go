package jobs_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/integrations/storeapi"
	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// polledOrder is an order as a poll finds it: an orders/updated change of
// TwoLineOrder's body, updated when it was placed.
func polledOrder(id int, placed time.Time) storeapi.Change {
	return storeapi.Change{Topic: "orders/updated", Body: jobs.TwoLineOrder(id, fmt.Sprintf("c%d@example.net", id), placed),
		DedupeKey: fmt.Sprintf("orders/updated|poll:%d:%d", id, placed.Unix()), UpdatedAt: placed}
}

// eventCount counts the audit entries of an order's backorders.
func eventCount(t *testing.T, s *store.Store, shopID int64, orderID string) int {
	t.Helper()
	ctx := context.Background()
	es, err := s.ListBackorders(ctx, store.BackorderFilter{ShopID: shopID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, b := range es {
		if b.OrderID != orderID {
			continue
		}
		_, evs, err := s.Backorder(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		n += len(evs)
	}
	return n
}

func TestPollingRecordsWhatWebhooksMissedOnceAndWhatTheyDeliveredToNoEffect(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := jobs.NewHarness(t, s, jobs.WithLogs(slog.LevelInfo))
		ctx := context.Background()
		shop := storeShop(t, h, "poll.myshopify.com", true, nil)
		h.StartWorker()
		t0 := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
		kettleWaits(t, h, shop, t0) // 601 came by webhook
		h.WaitFor("601's confirmation", func() bool { return len(h.Emails(shop.ID, "backordered", "601")) == 1 })
		events := eventCount(t, s, shop.ID, "601")

		// The poll finds 601 as the webhook delivered it, and 602, whose
		// webhook never came.
		h.Stores.SetChanges(shop.ID, polledOrder(601, t0.Add(time.Second)), polledOrder(602, t0.Add(2*time.Second)))
		rep, err := h.Poller.ReconcileShop(ctx, shop, nil)
		if err != nil || rep.Seen != 2 || rep.Recorded != 2 || rep.Watermark == nil || !rep.Watermark.Equal(t0.Add(2*time.Second)) {
			t.Fatalf("first poll = %+v, %v; want 2 seen, 2 recorded, watermark at 602's update", rep, err)
		}
		h.Settled("602's kettle and teapot waiting too", func(es []store.BackorderEntry, led store.LedgerRow) bool {
			return len(es) == 3 && led.Waiting == 2
		}, shop.ID)
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("the worker's log:\n%s", h.Logs())
			}
		})
		// 602 is short of two items: confirmed in one message or two, as
		// its items settle (design.md), which under load a CI run showed.
		h.WaitFor("602's confirmation", func() bool { return len(h.Emails(shop.ID, "backordered", "602")) >= 1 })
		quiet()
		if n := len(h.Emails(shop.ID, "", "601")); n != 1 {
			t.Errorf("601's messages after the poll = %d, want still 1", n)
		}
		if got := eventCount(t, s, shop.ID, "601"); got != events {
			t.Errorf("601's backorder events = %d, want %d as they were", got, events)
		}

		// The same state polled again is a duplicate, recorded nowhere.
		rep, err = h.Poller.ReconcileShop(ctx, shop, nil)
		if err != nil || rep.Seen != 2 || rep.Recorded != 0 {
			t.Fatalf("second poll = %+v, %v; want 2 seen, none recorded", rep, err)
		}
		calls := h.Stores.Calls("Changes", false)
		if len(calls) != 2 {
			t.Fatalf("Changes calls = %d, want 2", len(calls))
		}
		first, second := calls[0].Arg.(time.Time), calls[1].Arg.(time.Time)
		if ago := time.Since(first); ago < 24*time.Hour || ago > 24*time.Hour+2*time.Minute {
			t.Errorf("first poll read from %v ago, want the 24 h lookback and the minute's overlap", ago)
		}
		if want := t0.Add(2 * time.Second).Add(-time.Minute); !second.Equal(want) {
			t.Errorf("second poll read from %v, want the watermark less a minute, %v", second, want)
		}
		p, err := s.StorePoll(ctx, shop.ID)
		if err != nil || p.Watermark == nil || !p.Watermark.Equal(t0.Add(2*time.Second)) || p.LastSeen != 2 || p.LastRecorded != 0 {
			t.Errorf("poll state = %+v, %v; want the watermark at 602's update, 2 seen, none recorded", p, err)
		}
		rows, err := s.ListInbox(ctx, store.InboxFilter{ShopID: shop.ID, Topic: "orders/updated", Limit: 10})
		if err != nil || len(rows) != 2 {
			t.Errorf("polled deliveries = %d, %v; want 2", len(rows), err)
		}
	})
}

func TestAFailedPollKeepsItsWatermarkAndSaysWhy(t *testing.T) {
	s := storetest.New(t, store.SQLite)
	h := jobs.NewHarness(t, s)
	ctx := context.Background()
	shop := storeShop(t, h, "pollfail.myshopify.com", true, nil)
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	h.Stores.SetChanges(shop.ID, polledOrder(601, t0))
	if _, err := h.Poller.ReconcileShop(ctx, shop, nil); err != nil {
		t.Fatal(err)
	}
	h.Stores.Fail("Changes", &storeapi.Error{Op: "orders", StatusCode: 503, Message: "unavailable", Retryable: true})
	if _, err := h.Poller.ReconcileShop(ctx, shop, nil); err == nil || storeapi.IsPermanent(err) {
		t.Fatalf("poll of a store down = %v, want a retryable error", err)
	}
	p, err := s.StorePoll(ctx, shop.ID)
	if err != nil || p.Watermark == nil || !p.Watermark.Equal(t0) || !strings.Contains(p.LastError, "unavailable") {
		t.Fatalf("poll state = %+v, %v; want the watermark kept at %v and the error", p, err, t0)
	}
}

func TestSilentOrderWebhooksAreToldToTheMerchantOncePerSilence(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := jobs.NewHarness(t, s)
		ctx := context.Background()
		shop := storeShop(t, h, "silent.myshopify.com", true, nil)
		h.StartWorker()
		now := time.Now().Truncate(time.Second)
		// 601 came by webhook, placed an hour before; 602 and 603, 10 and
		// 20 minutes after that webhook, only by polling: a mean gap of 40
		// minutes, so a silence counts from 10 × 40 minutes.
		kettleWaits(t, h, shop, now.Add(-time.Hour-time.Second))
		h.Stores.SetChanges(shop.ID, polledOrder(602, now.Add(10*time.Minute)), polledOrder(603, now.Add(20*time.Minute)))
		h.Poller.SetClock(func() time.Time { return now.Add(time.Hour) })
		if rep, err := h.Poller.ReconcileShop(ctx, shop, nil); err != nil || rep.Silent {
			t.Fatalf("poll an hour on = %+v, %v; want no silence", rep, err)
		}
		h.Settled("every kettle waiting", func(es []store.BackorderEntry, led store.LedgerRow) bool { return led.Waiting == 3 }, shop.ID)
		for _, tc := range []struct {
			name   string
			after  time.Duration
			silent bool
		}{
			{"over the 6 h floor, under 10 mean gaps", 6*time.Hour + 30*time.Minute, false},
			{"over 10 mean gaps", 7 * time.Hour, true},
			{"the same silence later", 8 * time.Hour, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				h.Poller.SetClock(func() time.Time { return now.Add(tc.after) })
				rep, err := h.Poller.ReconcileShop(ctx, shop, nil)
				if err != nil || rep.Silent != tc.silent {
					t.Fatalf("poll %v on = %+v, %v; want silent %v", tc.after, rep, err, tc.silent)
				}
			})
		}
		es := h.Emails(shop.ID, "merchant_webhooks_silent", "")
		if len(es) != 1 || !strings.Contains(es[0].TextBody, "orders/create") || !strings.Contains(es[0].TextBody, "2 orders") {
			t.Fatalf("silence notices = %+v, want one naming orders/create and the 2 orders found", es)
		}
		if p, err := s.StorePoll(ctx, shop.ID); err != nil || p.SilenceNoticed == nil {
			t.Errorf("poll state = %+v, %v; want the silence noted", p, err)
		}
	})
}

func TestASilenceIsNotedForTheDashboardWhenTheShopHasNoAddressToTell(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := jobs.NewHarness(t, s)
		ctx := context.Background()
		shop := storeShop(t, h, "quiet.myshopify.com", true, func(s *store.Shop) { s.MerchantEmail = "" })
		h.StartWorker()
		now := time.Now().Truncate(time.Second)
		kettleWaits(t, h, shop, now.Add(-time.Hour-time.Second))
		h.Stores.SetChanges(shop.ID, polledOrder(602, now.Add(10*time.Minute)), polledOrder(603, now.Add(20*time.Minute)))
		h.Poller.SetClock(func() time.Time { return now.Add(time.Hour) })
		if _, err := h.Poller.ReconcileShop(ctx, shop, nil); err != nil {
			t.Fatal(err)
		}
		h.Settled("every kettle waiting", func(es []store.BackorderEntry, led store.LedgerRow) bool { return led.Waiting == 3 }, shop.ID)
		for _, after := range []time.Duration{7 * time.Hour, 8 * time.Hour} {
			h.Poller.SetClock(func() time.Time { return now.Add(after) })
			rep, err := h.Poller.ReconcileShop(ctx, shop, nil)
			if err != nil || rep.Silent != (after == 7*time.Hour) {
				t.Fatalf("poll %v on = %+v, %v; want the silence found once", after, rep, err)
			}
		}
		last, err := s.LastWebhook(ctx, shop.ID, jobs.OrderCreateTopic(shop.Platform), jobs.HeaderSource)
		if err != nil || last == nil {
			t.Fatalf("last webhook = %v, %v", last, err)
		}
		if p, err := s.StorePoll(ctx, shop.ID); err != nil || p.SilenceNoticed == nil || !p.SilenceNoticed.Equal(*last) {
			t.Errorf("poll state = %+v, %v; want the silence noted after the webhook of %v", p, err, last)
		}
		if es := h.Emails(shop.ID, "merchant_webhooks_silent", ""); len(es) != 0 {
			t.Errorf("silence notices = %+v, want none: the shop has no address", es)
		}
	})
}

func TestPollDueEnqueuesOnePollPerActiveShopWithCredentialsPerPeriod(t *testing.T) {
	s := storetest.New(t, store.SQLite)
	h := jobs.NewHarness(t, s) // no worker: the tasks stay in Redis to be counted
	ctx := context.Background()
	polled := storeShop(t, h, "polled.myshopify.com", true, nil)
	storeShop(t, h, "webhooks-only.myshopify.com", false, nil)
	gone := storeShop(t, h, "gone.myshopify.com", true, nil)
	if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.UninstallShop(ctx, gone.ID) }); err != nil {
		t.Fatal(err)
	}
	period := time.Now().Truncate(time.Minute)
	// Two replicas run the same period's task; the next period is another.
	h.RunPeriodic(jobs.TypeStorePollDue, period)
	h.RunPeriodic(jobs.TypeStorePollDue, period)
	h.RunPeriodic(jobs.TypeStorePollDue, period.Add(time.Minute))
	tasks, err := h.Inspector.ListPendingTasks(jobs.QueueStore)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, task := range tasks {
		if task.Type != jobs.TypeStorePoll {
			t.Errorf("task %s in the store queue, want polls only", task.Type)
		}
		ids = append(ids, task.ID)
	}
	want := []string{fmt.Sprintf("store-poll:%d:%d", polled.ID, period.Unix()),
		fmt.Sprintf("store-poll:%d:%d", polled.ID, period.Add(time.Minute).Unix())}
	if strings.Join(ids, ",") != strings.Join(want, ",") && strings.Join(ids, ",") != want[1]+","+want[0] {
		t.Errorf("poll tasks %v, want %v: one per period, for the active shop with credentials alone", ids, want)
	}
}
