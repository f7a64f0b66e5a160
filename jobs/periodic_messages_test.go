package jobs_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// noticeWindow is the harness's window of the periodic messages.
const noticeWindow = time.Minute

func TestALateNoticesRunStillNoticesItsPeriod(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := jobs.NewHarness(t, s)
		// A backorder 3 windows ago; the run for the period right after it
		// executes only now, 2 windows late.
		at := time.Now().Add(-3 * noticeWindow)
		shop := e.BackorderedAt(at)
		period := at.Truncate(noticeWindow).Add(noticeWindow)
		e.RunPeriodic(jobs.TypePeriodicMessages, period)
		got := e.Emails(shop.ID, "merchant_new_backorders", "")
		want := "new-backorders:" + strconv.FormatInt(period.Add(-noticeWindow).Unix(), 10)
		if len(got) != 1 || got[0].DedupeKey != want {
			t.Fatalf("notices = %+v, want one for the window before %v (%s)", got, period, want)
		}
	})
}

func TestAFailedNoticesRunIsCaughtUpByTheNextAndNoWindowTwice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := jobs.NewHarness(t, s)
		at := time.Now().Add(-5 * noticeWindow)
		p := at.Truncate(noticeWindow).Add(noticeWindow) // the period whose window holds the backorder
		shop := e.BackorderedAt(at)
		e.RunPeriodic(jobs.TypePeriodicMessages, p.Add(-noticeWindow)) // the run before: nothing new yet
		if got := e.Emails(shop.ID, "merchant_new_backorders", ""); len(got) != 0 {
			t.Fatalf("the run before the backorder noticed %d", len(got))
		}
		// The run for p fails for good; the next one catches up.
		e.RunPeriodic(jobs.TypePeriodicMessages, p.Add(noticeWindow))
		got := e.Emails(shop.ID, "merchant_new_backorders", "")
		if len(got) != 1 || got[0].DedupeKey != "new-backorders:"+strconv.FormatInt(p.Add(-noticeWindow).Unix(), 10) {
			t.Fatalf("notices after the catch-up = %+v, want p's window once", got)
		}
		// p's run retried late, and the next run again: nothing twice.
		e.RunPeriodic(jobs.TypePeriodicMessages, p)
		e.RunPeriodic(jobs.TypePeriodicMessages, p.Add(noticeWindow))
		if got := e.Emails(shop.ID, "merchant_new_backorders", ""); len(got) != 1 {
			t.Fatalf("notices after late and repeated runs = %d, want still 1", len(got))
		}
	})
}

func TestPeriodicTasksSayTheirPeriodAndAreRetried(t *testing.T) {
	h := jobs.NewHarness(t, nil)
	insp := h.Inspector
	p := jobs.Periodic{Type: jobs.TypePeriodicMessages, Queue: jobs.QueuePeriodic, Every: time.Minute}
	period := time.Now().Truncate(time.Minute)
	if err := jobs.NewScheduler(h.Client, nil, p).Enqueue(context.Background(), p, period); err != nil {
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
