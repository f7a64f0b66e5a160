package api

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
)

// replayDelivery serves POST /api/v1/inbox/{id}/replay: the delivery runs
// again through the task that applies new ones (202, its task queued). A
// processed delivery is applied already and is not run (409); a rejected
// one whose body still cannot be decoded stays rejected, with the reason
// (422).
func replayDelivery(ops Operations) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := idParam(c, "id", "an inbox id")
		if err != nil {
			fail(c, err)
			return
		}
		r, err := ops.ReplayDelivery(c.Request.Context(), id)
		c.Set("inbox_id", id)
		c.Set("replay", r.Result)
		switch {
		case err != nil:
			fail(c, notFoundAs(err, "no such delivery"))
		case r.Result == jobs.ReplayApplied:
			fail(c, errConflict(fmt.Sprintf("delivery %d was applied already (processed): replaying it would change nothing", id)))
		case r.Result == jobs.ReplayStillRejected:
			fail(c, &FieldError{Field: "body", Reason: fmt.Sprintf("delivery %d still cannot be decoded, and stays rejected: %s", id, r.Reason)})
		default:
			c.JSON(http.StatusAccepted, gin.H{"id": id, "result": r.Result})
		}
	}
}

// replayRequest selects the deliveries POST /api/v1/inbox/replay runs
// again: failed and/or rejected ones, of one shop or all, in a range of
// received_at or of ids (bounds inclusive), at most limit of them.
type replayRequest struct {
	Shop         string     `json:"shop"`
	Statuses     []string   `json:"statuses"`
	ReceivedFrom *time.Time `json:"received_from"`
	ReceivedTo   *time.Time `json:"received_to"`
	FromID       int64      `json:"from_id"`
	ToID         int64      `json:"to_id"`
	Limit        int        `json:"limit"`
}

type stillRejectedView struct {
	ID     int64  `json:"id"`
	Reason string `json:"reason"`
}

// replayDeliveries serves POST /api/v1/inbox/replay: every failed or
// rejected delivery in a range runs again as POST /inbox/{id}/replay runs
// one, lowest id first, at most limit (500 unless given, 1000 at most) per
// call; next_from_id continues the range. It answers with how many it
// queued, and the rejected ones still undecodable, with the reason.
func replayDeliveries(st AdminStore, ops Operations) gin.HandlerFunc {
	return func(c *gin.Context) {
		f, err := replayFilter(c, st)
		if err != nil {
			fail(c, err)
			return
		}
		sum, err := ops.ReplayDeliveries(c.Request.Context(), f)
		c.Set("replay_matched", sum.Matched)
		c.Set("replay_queued", sum.Queued)
		if err != nil {
			// Those before the error were replayed; running the same
			// request again finds the rest (a replayed row is accepted).
			fail(c, err)
			return
		}
		still := make([]stillRejectedView, len(sum.StillRejected))
		for i, r := range sum.StillRejected {
			still[i] = stillRejectedView{ID: r.ID, Reason: r.Reason}
		}
		var next *int64
		if sum.NextFromID != 0 {
			next = &sum.NextFromID
		}
		c.JSON(http.StatusAccepted, gin.H{"matched": sum.Matched, "queued": sum.Queued,
			"already_queued": sum.AlreadyQueued, "applied": sum.Applied, "still_rejected": still, "next_from_id": next})
	}
}

// defaultReplayLimit is how many deliveries a range replay runs unless
// told.
const defaultReplayLimit = 500

func replayFilter(c *gin.Context, st AdminStore) (store.ReplayFilter, error) {
	var req replayRequest
	if err := bindJSON(c, &req); err != nil {
		return store.ReplayFilter{}, err
	}
	f := store.ReplayFilter{Statuses: req.Statuses, FromID: req.FromID, ToID: req.ToID, Limit: req.Limit}
	if len(f.Statuses) == 0 {
		f.Statuses = []string{store.InboxFailed, store.InboxRejected}
	}
	for _, s := range f.Statuses {
		if s != store.InboxFailed && s != store.InboxRejected {
			return f, &FieldError{Field: "statuses", Reason: fmt.Sprintf("%q is not failed or rejected "+
				"(a processed delivery is applied; an accepted one has its own task: POST /api/v1/inbox/{id}/replay)", s)}
		}
	}
	f.Statuses = slices.Compact(slices.Sorted(slices.Values(f.Statuses)))
	if req.ReceivedFrom != nil {
		f.ReceivedFrom = *req.ReceivedFrom
	}
	if req.ReceivedTo != nil {
		f.ReceivedTo = *req.ReceivedTo
	}
	switch {
	case f.Limit == 0:
		f.Limit = defaultReplayLimit
	case f.Limit < 0 || f.Limit > jobs.ReplayLimit:
		return f, &FieldError{Field: "limit", Reason: fmt.Sprintf("must be from 1 to %d", jobs.ReplayLimit)}
	}
	if (req.ReceivedFrom == nil || req.ReceivedTo == nil) && (f.FromID == 0 || f.ToID == 0) {
		return f, &FieldError{Field: "received_from", Reason: "a range is required: received_from and received_to, " +
			"or from_id and to_id"}
	}
	if req.ReceivedFrom != nil && req.ReceivedTo != nil && f.ReceivedTo.Before(f.ReceivedFrom) {
		return f, &FieldError{Field: "received_to", Reason: "is before received_from"}
	}
	if f.FromID < 0 || f.ToID < 0 || (f.ToID != 0 && f.ToID < f.FromID) {
		return f, &FieldError{Field: "to_id", Reason: "from_id and to_id must be inbox ids, from_id the lower"}
	}
	if req.Shop != "" {
		id, err := shopRef(c, st, req.Shop)
		if err != nil {
			return f, err
		}
		f.ShopID = id
	}
	return f, nil
}
