package api

import (
	"context"
	"fmt"
	"slices"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
)

// OperatorActionNames are the values of backorderd_operator_actions_total's
// action label: the admin API's and the dashboard's routes that change
// something, one name each (the dashboard's cancel and prioritize count
// with the API's). A fixed list: a label never carries a shop, an id or
// anything a request says.
var OperatorActionNames = []string{
	"cancel", "prioritize", // a backorder
	"replay", "replay_range", // inbox deliveries
	"resend", // an email
	"shop_add", "shop_update", "shop_secret_rotate", "shop_secret_drop", "shop_item_cap",
	"shop_bounce_clear", "shop_credentials_set", "shop_credentials_delete", "shop_connect",
}

// The values of backorderd_operator_actions_total's outcome label: done
// (answered 2xx, or the dashboard's redirect), refused (4xx: bad input, no
// such thing, a conflict), failed (5xx).
const (
	OutcomeDone    = "done"
	OutcomeRefused = "refused"
	OutcomeFailed  = "failed"
)

// OperatorActions counts operators' actions by action and outcome.
type OperatorActions struct {
	counter *prometheus.CounterVec
}

// NewOperatorActions registers backorderd_operator_actions_total with reg,
// every action and outcome at zero from the start (an alert on a rate
// needs the series before the first action).
func NewOperatorActions(reg prometheus.Registerer) *OperatorActions {
	a := &OperatorActions{counter: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "backorderd_operator_actions_total",
		Help: "Operators' actions through the admin API and the dashboard, by action (cancel, prioritize, replay, replay_range, resend, shop_…) and outcome (done, refused, failed).",
	}, []string{"action", "outcome"})}
	reg.MustRegister(a.counter)
	for _, action := range OperatorActionNames {
		for _, outcome := range []string{OutcomeDone, OutcomeRefused, OutcomeFailed} {
			a.counter.WithLabelValues(action, outcome)
		}
	}
	return a
}

type operatorActionsKey struct{}

// Use is the middleware of the route groups whose actions a count: it
// puts a in the request's context, where Acts finds it. (In the request's
// context, not gin's keys, which the request log prints.)
func (a *OperatorActions) Use(c *gin.Context) {
	c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), operatorActionsKey{}, a))
	c.Next()
}

// Acts marks a route as the operator's action named action: placed after
// the route's guard, it counts each request that the guard let in by the
// answer's status once the handler is done, and names the action in the
// request's log line. Without OperatorActions in the request's context (a
// test's router) it only names it. An action not among
// OperatorActionNames is a programming error, refused when the route is
// mounted.
func Acts(action string) gin.HandlerFunc {
	if !slices.Contains(OperatorActionNames, action) {
		panic(fmt.Sprintf("api.Acts(%q): not one of OperatorActionNames", action))
	}
	return func(c *gin.Context) {
		c.Set("operator_action", action)
		c.Next()
		a, _ := c.Request.Context().Value(operatorActionsKey{}).(*OperatorActions)
		if a == nil {
			return
		}
		outcome := OutcomeDone
		switch status := c.Writer.Status(); {
		case status >= 500:
			outcome = OutcomeFailed
		case status >= 400:
			outcome = OutcomeRefused
		}
		a.counter.WithLabelValues(action, outcome).Inc()
	}
}
