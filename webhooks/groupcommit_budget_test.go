package webhooks

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
)

// recordingRecorder records what it was asked to write and by when.
type recordingRecorder struct {
	got      []store.Delivery
	deadline time.Time
}

func (r *recordingRecorder) RecordDeliveries(ctx context.Context, ds []store.Delivery) ([]store.Recorded, error) {
	r.got = ds
	r.deadline, _ = ctx.Deadline()
	out := make([]store.Recorded, len(ds))
	for i := range ds {
		out[i] = store.Recorded{ID: int64(i + 1)}
	}
	return out, nil
}

// A delivery that waited in the queue past its budget is not written — it
// is spooled by its request — while the others of its batch are, by the
// latest of their deadlines.
func TestADeliveryQueuedPastItsBudgetIsLeftOutOfTheWrite(t *testing.T) {
	now := time.Now()
	late, soon := now.Add(time.Hour), now.Add(time.Minute)
	r := &recordingRecorder{}
	out, err := writeBatch(r, []pending{
		{d: store.Delivery{DedupeKey: "waited"}, deadline: now.Add(-time.Millisecond)},
		{d: store.Delivery{DedupeKey: "soon"}, deadline: soon},
		{d: store.Delivery{DedupeKey: "late"}, deadline: late},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(out[0].Err, errWaitedTooLong) || out[1].Err != nil || out[2].Err != nil {
		t.Fatalf("got outcomes %+v, want the first past its budget and the others written", out)
	}
	if len(r.got) != 2 || r.got[0].DedupeKey != "soon" || r.got[1].DedupeKey != "late" || !r.deadline.Equal(late) {
		t.Fatalf("wrote %+v by %v, want soon and late by %v", r.got, r.deadline, late)
	}
	if out[1].ID != 1 || out[2].ID != 2 {
		t.Errorf("got ids %d and %d, want each its own row's: 1 and 2", out[1].ID, out[2].ID)
	}
}
