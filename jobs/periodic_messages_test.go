package jobs_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/jobs/jobstest"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

const noticeWindow = time.Minute

// backorderedAt starts the worker and makes one backorder, stamped at, in a shop with a merchant
// address; it returns the shop.
func (e *env) backorderedAt(at time.Time) store.Shop {
	e.t.Helper()
	ctx := context.Background()
	shop := store.NewShop(store.Shopify, "notice.myshopify.com", "secret")
	shop.MerchantEmail = "owner@example.com"
	shop, err := e.store.AddShop(ctx, shop)
	if err != nil {
		e.t.Fatal(err)
	}
	// Every row is stamped at: set before the worker starts, never after.
	e.store.SetClock(func() time.Time { return at })
	e.startWorker()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	e.record(shop.ID, "products/update", "product", []byte(twoItems))
	e.record(shop.ID, "inventory_levels/update", "kettle-0", levelOf(7770, 0, t0))
	e.record(shop.ID, "orders/create", "order", twoLineOrder(601, "wren@example.net", t0.Add(time.Second)))
	waitFor(e.t, "a backorder", func() bool {
		bos, _ := e.store.ListBackorders(ctx, store.BackorderFilter{ShopID: shop.ID, Limit: 10})
		return len(bos) == 1
	})
	return shop
}

// runNotices runs the notices task of the period ending at period, as the
// scheduler enqueues it, now.
func runNotices(t *testing.T, n *jobs.PeriodicMessages, period time.Time) {
	t.Helper()
	if err := n.Handler().ProcessTask(context.Background(), jobs.NewPeriodicTask(jobs.TypePeriodicMessages, period)); err != nil {
		t.Fatal(err)
	}
}

func (e *env) newBackorderNotices(shopID int64) []store.Email {
	return e.emails(shopID, "merchant_new_backorders", "")
}

func TestALateNoticesRunStillNoticesItsPeriod(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s)
		// A backorder 3 windows ago; the run for the period right after it
		// executes only now, 2 windows late.
		at := time.Now().Add(-3 * noticeWindow)
		shop := e.backorderedAt(at)
		period := at.Truncate(noticeWindow).Add(noticeWindow)
		n := jobs.NewPeriodicMessages(s, e.dispatcher, noticeWindow, e.log)
		runNotices(t, n, period)
		got := e.newBackorderNotices(shop.ID)
		want := "new-backorders:" + itoa(period.Add(-noticeWindow).Unix())
		if len(got) != 1 || got[0].DedupeKey != want {
			t.Fatalf("notices = %+v, want one for the window before %v (%s)", got, period, want)
		}
	})
}

func TestAFailedNoticesRunIsCaughtUpByTheNextAndNoWindowTwice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s)
		at := time.Now().Add(-5 * noticeWindow)
		p := at.Truncate(noticeWindow).Add(noticeWindow) // the period whose window holds the backorder
		n := jobs.NewPeriodicMessages(s, e.dispatcher, noticeWindow, e.log)
		shop := e.backorderedAt(at)
		runNotices(t, n, p.Add(-noticeWindow)) // the run before: nothing new yet
		if got := e.newBackorderNotices(shop.ID); len(got) != 0 {
			t.Fatalf("the run before the backorder noticed %d", len(got))
		}
		// The run for p fails for good; the next one catches up.
		runNotices(t, n, p.Add(noticeWindow))
		got := e.newBackorderNotices(shop.ID)
		if len(got) != 1 || got[0].DedupeKey != "new-backorders:"+itoa(p.Add(-noticeWindow).Unix()) {
			t.Fatalf("notices after the catch-up = %+v, want p's window once", got)
		}
		// p's run retried late, and the next run again: nothing twice.
		runNotices(t, n, p)
		runNotices(t, n, p.Add(noticeWindow))
		if got := e.newBackorderNotices(shop.ID); len(got) != 1 {
			t.Fatalf("notices after late and repeated runs = %d, want still 1", len(got))
		}
	})
}

func TestPeriodicTasksSayTheirPeriodAndAreRetried(t *testing.T) {
	rc, _ := jobstest.Redis(t, redisDB)
	insp := asynq.NewInspectorFromRedisClient(rc)
	p := jobs.Periodic{Type: jobs.TypePeriodicMessages, Queue: jobs.QueuePeriodic, Every: time.Minute}
	period := time.Now().Truncate(time.Minute)
	if err := jobs.NewScheduler(asynq.NewClientFromRedisClient(rc), nil, p).Enqueue(context.Background(), p, period); err != nil {
		t.Fatal(err)
	}
	tasks, err := insp.ListPendingTasks(jobs.QueuePeriodic)
	if err != nil || len(tasks) != 1 {
		t.Fatalf("pending = %d, %v", len(tasks), err)
	}
	want := jobs.NewPeriodicTask(jobs.TypePeriodicMessages, period)
	if string(tasks[0].Payload) != string(want.Payload()) || tasks[0].MaxRetry < 1 {
		t.Fatalf("task payload %s, max retry %d; want %s and retries", tasks[0].Payload, tasks[0].MaxRetry, want.Payload())
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
