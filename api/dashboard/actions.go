package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/api"
	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
)

// action is one of the forms of a backorder's page: what it runs, and
// the words for it.
type action struct {
	name string // the form's, and the path's last part
	verb string // "cancelled", for "It cannot be … now"
	// run acts and returns the query the page is shown again with.
	run func(ctx context.Context, a Actions, id int64, act jobs.Action) (url.Values, error)
}

var cancelAction = action{name: "cancel", verb: "cancelled",
	run: func(ctx context.Context, a Actions, id int64, act jobs.Action) (url.Values, error) {
		effect, err := a.Cancel(ctx, id, act)
		return url.Values{"done": {"cancelled"}, "store": {string(effect)}}, err
	}}

var prioritizeAction = action{name: "prioritize", verb: "moved to the front",
	run: func(ctx context.Context, a Actions, id int64, act jobs.Action) (url.Values, error) {
		return url.Values{"done": {"prioritized"}}, a.Prioritize(ctx, id, act)
	}}

// storeNotes say what a cancellation asked of the shop's store.
var storeNotes = map[jobs.StoreEffect]string{
	jobs.StoreNone:        "backorderd cannot write to this shop's store: cancel the line there by hand.",
	jobs.StoreCancelOrder: "Nothing of the order is left to ship: it is being cancelled in the store.",
	jobs.StoreUpdateOrder: "The order still ships other units: the store's order is being updated.",
}

// actor is who the audit trail names: the login (api.ActorKey, set by the
// guard for a session), else the admin token.
func actor(c *gin.Context) string {
	if name := c.GetString(api.ActorKey); name != "" {
		return name
	}
	return "admin token"
}

// act serves a backorder form's POST /backorders/{id}/{name} through the
// same service as the admin API, then shows the backorder again (post,
// redirect, get: a reload does not act twice); a refusal shows the page
// with the form's error.
func (d *Dashboard) act(a action) gin.HandlerFunc {
	return func(c *gin.Context) {
		data, ok := d.backorderData(c)
		if !ok {
			return
		}
		reason := strings.TrimSpace(c.PostForm("reason"))
		data.Form, data.Reason = a.name, reason
		status := http.StatusOK
		switch {
		case d.actions == nil:
			status, data.Error = http.StatusNotImplemented, "This process cannot act on backorders."
		case reason == "":
			status, data.Error = http.StatusUnprocessableEntity, "Say why: the trail keeps the reason."
		case utf8.RuneCountInString(reason) > jobs.MaxReasonLength:
			status, data.Error = http.StatusUnprocessableEntity,
				fmt.Sprintf("The reason is longer than %d characters.", jobs.MaxReasonLength)
		}
		if status == http.StatusOK {
			q, err := a.run(c.Request.Context(), d.actions, data.B.ID, jobs.Action{Actor: actor(c), Reason: reason})
			if err == nil {
				c.Set("backorder_id", data.B.ID)
				c.Redirect(http.StatusSeeOther, fmt.Sprintf("/backorders/%d?%s", data.B.ID, q.Encode()))
				return
			}
			status, data.Error = refusal(c, a, err)
		}
		d.render(c, status, "backorder", data)
	}
}

// refusal is the status and the words for an action the service refused.
func refusal(c *gin.Context, a action, err error) (int, string) {
	switch {
	case errors.Is(err, jobs.ErrConflict):
		return http.StatusConflict, fmt.Sprintf("It cannot be %s now: %v", a.verb, err)
	case errors.Is(err, jobs.ErrUnprocessable), errors.Is(err, jobs.ErrBadRequest):
		return http.StatusUnprocessableEntity, fmt.Sprintf("It cannot be %s so: %v", a.verb, err)
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "There is no such backorder."
	}
	_ = c.Error(err)
	return http.StatusServiceUnavailable, fmt.Sprintf("It could not be %s now; try again in a moment.", a.verb)
}
