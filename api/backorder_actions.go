package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
)

// BackorderActions is the part of the backorder service (jobs.Backorders)
// the admin API calls: every operator action on a backorder goes through
// it.
type BackorderActions interface {
	Cancel(ctx context.Context, id int64, a jobs.Action) (jobs.StoreEffect, error)
	Prioritize(ctx context.Context, id int64, a jobs.Action) error
}

// ActorKey is the gin context key under which a login middleware puts the
// name of who is signed in; without one the actor is the admin token.
const ActorKey = "actor"

// actor is who acts in an operator's request: the login's name, or "admin
// token" for a request the bearer token let in.
func actor(c *gin.Context) string {
	if name := c.GetString(ActorKey); name != "" {
		return name
	}
	return "admin token"
}

// MountBackorderActions adds the operators' actions on backorders under
// /api/v1, behind guard, refusing a browser's cross-origin request first:
// POST /backorders/{id}/cancel and POST /backorders/{id}/prioritize.
func MountBackorderActions(r gin.IRouter, guard gin.HandlerFunc, st AdminStore, actions BackorderActions) {
	g := r.Group("/api/v1", SameOrigin(), guard)
	g.POST("/backorders/:id/cancel", Acts("cancel"), cancelBackorder(st, actions))
	g.POST("/backorders/:id/prioritize", Acts("prioritize"), prioritizeBackorder(st, actions))
}

// actionRequest is the body of an operator's action: why.
type actionRequest struct {
	Reason *string `json:"reason"`
}

// readAction reads the backorder id and the action's reason, from a JSON
// body or a form: required, at most jobs.MaxReasonLength characters.
func readAction(c *gin.Context) (int64, jobs.Action, error) {
	id, err := idParam(c, "id", "a backorder id")
	if err != nil {
		return 0, jobs.Action{}, err
	}
	var req actionRequest
	if c.ContentType() == "application/x-www-form-urlencoded" {
		// An HTML form (the dashboard's, without JavaScript) posts the
		// reason as a form field; other fields (a form's own) are ignored.
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxRequestBytes)
		if reason, ok := c.GetPostForm("reason"); ok {
			req.Reason = &reason
		}
	} else if err := bindJSON(c, &req); err != nil {
		return 0, jobs.Action{}, err
	}
	switch {
	case req.Reason == nil || strings.TrimSpace(*req.Reason) == "":
		return 0, jobs.Action{}, &FieldError{Field: "reason", Reason: "is required: say why, for the audit"}
	case utf8.RuneCountInString(*req.Reason) > jobs.MaxReasonLength:
		return 0, jobs.Action{}, &FieldError{Field: "reason", Reason: "must be at most " + strconv.Itoa(jobs.MaxReasonLength) + " characters"}
	}
	c.Set("backorder_id", id)
	return id, jobs.Action{Actor: actor(c), Reason: *req.Reason}, nil
}

// cancelBackorder serves POST /api/v1/backorders/{id}/cancel: the
// backorder's waiting units are cancelled, the customer told, the store
// updated where it can be. It answers the backorder as GET shows it, with
// what was asked of the store; a backorder with nothing waiting is 409.
func cancelBackorder(st AdminStore, actions BackorderActions) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, a, err := readAction(c)
		if err != nil {
			fail(c, err)
			return
		}
		effect, err := actions.Cancel(c.Request.Context(), id, a)
		if err != nil {
			fail(c, notFoundAs(err, "no such backorder"))
			return
		}
		showBackorder(c, st, id, gin.H{"store": effect})
	}
}

// prioritizeBackorder serves POST /api/v1/backorders/{id}/prioritize: the
// backorder goes to the front of its item's queue. It answers the
// backorder as GET shows it; a backorder with nothing waiting is 409.
func prioritizeBackorder(st AdminStore, actions BackorderActions) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, a, err := readAction(c)
		if err != nil {
			fail(c, err)
			return
		}
		if err := actions.Prioritize(c.Request.Context(), id, a); err != nil {
			fail(c, notFoundAs(err, "no such backorder"))
			return
		}
		showBackorder(c, st, id, nil)
	}
}

// operatorActionView is an operator's action as the admin API shows it.
type operatorActionView struct {
	ID          int64     `json:"id"`
	ShopID      int64     `json:"shop_id"`
	BackorderID int64     `json:"backorder_id"`
	Action      string    `json:"action"`
	Actor       string    `json:"actor"`
	Reason      string    `json:"reason"`
	CreatedAt   time.Time `json:"created_at"`
}

// listOperatorActions serves GET /api/v1/operator-actions: operators'
// actions, newest first, by shop, backorder_id and action.
func listOperatorActions(st AdminStore) gin.HandlerFunc {
	return list(st, nil, func(c *gin.Context, q listQuery) ([]store.OperatorAction, error) {
		f := store.OperatorActionFilter{ShopID: q.shopID, Action: c.Query("action"), Before: q.before, Limit: q.limit}
		if f.Action != "" && f.Action != store.ActionCancel && f.Action != store.ActionPrioritize {
			return nil, errBadRequest("action must be one of cancel, prioritize")
		}
		if v := c.Query("backorder_id"); v != "" {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id < 1 {
				return nil, errBadRequest("backorder_id must be a backorder id")
			}
			f.BackorderID = id
		}
		return st.OperatorActions(c.Request.Context(), f)
	}, func(a store.OperatorAction) (any, int64) { return operatorActionView(a), a.ID })
}

// showBackorder answers with backorder id, its trail and the operators'
// actions on it, and extra.
func showBackorder(c *gin.Context, st AdminStore, id int64, extra gin.H) {
	b, events, err := st.Backorder(c.Request.Context(), id)
	if err != nil {
		fail(c, notFoundAs(err, "no such backorder"))
		return
	}
	acts, err := st.OperatorActions(c.Request.Context(), store.OperatorActionFilter{BackorderID: id, Limit: maxPageSize})
	if err != nil {
		fail(c, err)
		return
	}
	trail := make([]eventView, len(events))
	for i, e := range events {
		trail[i] = eventView(e)
	}
	actions := make([]operatorActionView, len(acts))
	for i, a := range acts {
		actions[i] = operatorActionView(a)
	}
	body := gin.H{"backorder": viewBackorder(b), "events": trail, "actions": actions}
	for k, v := range extra {
		body[k] = v
	}
	c.JSON(http.StatusOK, body)
}
