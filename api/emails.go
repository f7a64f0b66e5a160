package api

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/email"
	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
)

type emailView struct {
	ID                int64      `json:"id"`
	ShopID            int64      `json:"shop_id"`
	Kind              string     `json:"kind"`
	OrderID           string     `json:"order_id"`
	To                string     `json:"to"`
	Subject           string     `json:"subject"`
	Status            string     `json:"status"`
	Reason            string     `json:"reason"`
	Attempts          int        `json:"attempts"`
	UnknownOutcomes   int        `json:"unknown_outcomes"`
	DedupeKey         string     `json:"dedupe_key"`
	TemplateID        string     `json:"template_id"`
	ProviderMessageID string     `json:"provider_message_id"`
	ResendOf          *int64     `json:"resend_of"`
	CreatedAt         time.Time  `json:"created_at"`
	SentAt            *time.Time `json:"sent_at"`
}

func viewEmail(e store.Email) emailView {
	return emailView{ID: e.ID, ShopID: e.ShopID, Kind: e.Kind, OrderID: e.OrderID, To: e.ToEmail, Subject: e.Subject,
		Status: e.Status, Reason: e.Reason, Attempts: e.Attempts, UnknownOutcomes: e.UnknownOutcomes,
		DedupeKey: e.DedupeKey, TemplateID: e.TemplateID, ProviderMessageID: e.ProviderMessageID,
		ResendOf: e.ResendOf, CreatedAt: e.CreatedAt, SentAt: e.SentAt}
}

// listEmails serves GET /api/v1/emails: by shop, kind, status (one or
// several: status=held,failed or status=held&status=failed), recipient,
// order and resend_of.
func listEmails(st AdminStore) gin.HandlerFunc {
	statuses := []string{store.EmailPending, store.EmailSending, store.EmailSent, store.EmailFailed,
		store.EmailNotSent, store.EmailSuppressed, store.EmailHeld, store.EmailDropped}
	kinds := email.KindNames()
	return listAnyOf(st, statuses, func(c *gin.Context, q listQuery) ([]store.Email, error) {
		if k := c.Query("kind"); k != "" && !slices.Contains(kinds, k) {
			return nil, errBadRequest("kind must be one of " + strings.Join(kinds, ", "))
		}
		var resendOf int64
		if v := c.Query("resend_of"); v != "" {
			var err error
			if resendOf, err = strconv.ParseInt(v, 10, 64); err != nil || resendOf < 1 {
				return nil, errBadRequest("resend_of must be an email id")
			}
		}
		return st.ListEmails(c.Request.Context(), store.EmailFilter{ShopID: q.shopID, Kind: c.Query("kind"),
			Statuses: q.statuses, To: c.Query("to"), Order: c.Query("order"), ResendOf: resendOf,
			Before: q.before, Limit: q.limit})
	}, func(e store.Email) (any, int64) { return viewEmail(e), e.ID })
}

// getEmail serves GET /api/v1/emails/{id}: one message with its rendered
// text and HTML.
func getEmail(st AdminStore) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := strconv.ParseInt(c.Param("id"), 10, 64)
		if err != nil {
			fail(c, errBadRequest("id must be an email id"))
			return
		}
		e, err := st.Email(c.Request.Context(), id)
		if err != nil {
			fail(c, notFoundAs(err, "no such email"))
			return
		}
		c.JSON(http.StatusOK, gin.H{"email": viewEmail(e), "text": e.TextBody, "html": e.HTMLBody})
	}
}

// resendEmail serves POST /api/v1/emails/{id}/resend: the message is
// written again as a new one referring to it (resend_of) and sent through
// the outbox like any message (201, the new message). The old one keeps
// its status and history. A message still on its way, held, or with a
// resend not finished yet is refused (409); one whose recipient was
// erased too (422).
func resendEmail(st AdminStore, ops Operations) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := idParam(c, "id", "an email id")
		if err != nil {
			fail(c, err)
			return
		}
		resent, err := ops.ResendEmail(c.Request.Context(), id)
		c.Set("resend_of", id)
		if errors.Is(err, jobs.ErrUnprocessable) {
			// A 422 names the field at fault: the message's recipient.
			err = &FieldError{Field: "to", Reason: "is empty: the message has no recipient (never given, or erased), " +
				"so it cannot be sent again"}
		}
		if err != nil {
			fail(c, notFoundAs(err, "no such email"))
			return
		}
		c.Set("email_id", resent.ID)
		e, err := st.Email(c.Request.Context(), resent.ID)
		if err != nil {
			fail(c, err)
			return
		}
		c.Header("Location", "/api/v1/emails/"+strconv.FormatInt(e.ID, 10))
		c.JSON(http.StatusCreated, gin.H{"email": viewEmail(e)})
	}
}
