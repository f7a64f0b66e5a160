package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

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
	CreatedAt         time.Time  `json:"created_at"`
	SentAt            *time.Time `json:"sent_at"`
}

func viewEmail(e store.Email) emailView {
	return emailView{ID: e.ID, ShopID: e.ShopID, Kind: e.Kind, OrderID: e.OrderID, To: e.ToEmail, Subject: e.Subject,
		Status: e.Status, Reason: e.Reason, Attempts: e.Attempts, UnknownOutcomes: e.UnknownOutcomes,
		DedupeKey: e.DedupeKey, TemplateID: e.TemplateID, ProviderMessageID: e.ProviderMessageID,
		CreatedAt: e.CreatedAt, SentAt: e.SentAt}
}

var emailStatuses = map[string]bool{
	store.EmailPending: true, store.EmailSending: true, store.EmailSent: true, store.EmailFailed: true,
	store.EmailNotSent: true, store.EmailSuppressed: true,
}

// listEmails serves GET /api/v1/emails.
func listEmails(st AdminStore) gin.HandlerFunc {
	return func(c *gin.Context) {
		limit, before, err := page(c)
		if err == nil && c.Query("status") != "" && !emailStatuses[c.Query("status")] {
			err = errBadRequest("status must be pending, sending, sent, failed, not_sent or suppressed")
		}
		var shopID int64
		if err == nil {
			shopID, err = shopFilter(c, st)
		}
		if err != nil {
			fail(c, err)
			return
		}
		es, err := st.ListEmails(c.Request.Context(), store.EmailFilter{ShopID: shopID, Kind: c.Query("kind"),
			Status: c.Query("status"), To: c.Query("to"), Order: c.Query("order"), Before: before, Limit: limit})
		if err != nil {
			fail(c, err)
			return
		}
		items := make([]emailView, len(es))
		var last int64
		for i, e := range es {
			items[i], last = viewEmail(e), e.ID
		}
		c.JSON(http.StatusOK, gin.H{"items": items, "next_cursor": nextCursor(len(es), limit, last)})
	}
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
		if errors.Is(err, store.ErrNotFound) {
			c.JSON(http.StatusNotFound, gin.H{"error": "no such email"})
			return
		}
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"email": viewEmail(e), "text": e.TextBody, "html": e.HTMLBody})
	}
}
