package webhooks

import (
	"context"
	"crypto/ecdsa"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/integrations/sendgrid"
	"github.com/backorderd/backorderd/store"
)

// EventRecorder applies SendGrid's events.
type EventRecorder interface {
	RecordEmailEvents(ctx context.Context, evs []store.EmailEvent) error
}

// SendGridEvents receives SendGrid's signed Event Webhook. The events are
// recorded in the request's transaction (they are small, and applying them
// is bookkeeping): if the database cannot take them the answer is 503, and
// SendGrid retries for a day.
type SendGridEvents struct {
	key      *ecdsa.PublicKey
	recorder EventRecorder
	maxBody  int64
	metrics  *Metrics
}

// NewSendGridEvents returns the receiver of events signed with key.
func NewSendGridEvents(key *ecdsa.PublicKey, r EventRecorder, maxBody int64, m *Metrics) *SendGridEvents {
	return &SendGridEvents{key: key, recorder: r, maxBody: maxBody, metrics: m}
}

// Mount adds POST /webhooks/sendgrid to r.
func (s *SendGridEvents) Mount(r gin.IRouter) {
	r.POST("/webhooks/sendgrid", s.metrics.timed("sendgrid"), s.receive)
}

func (s *SendGridEvents) receive(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.maxBody)
	body, err := c.GetRawData()
	if err != nil {
		s.answer(c, "too_large", http.StatusRequestEntityTooLarge, gin.H{"error": "body too large"})
		return
	}
	sig := c.GetHeader("X-Twilio-Email-Event-Webhook-Signature")
	ts := c.GetHeader("X-Twilio-Email-Event-Webhook-Timestamp")
	if !sendgrid.VerifyEvents(s.key, sig, ts, body) {
		c.Set("refused", "bad signature")
		s.metrics.refused.WithLabelValues("sendgrid", "bad signature").Inc()
		s.answer(c, "unauthorized", http.StatusUnauthorized, gin.H{"error": "unauthorized"})
		return
	}
	parsed, err := sendgrid.ParseEvents(body)
	if err != nil {
		// Signed but unusable: retrying cannot fix it.
		_ = c.Error(err)
		s.answer(c, "rejected", http.StatusOK, gin.H{"status": "rejected"})
		return
	}
	evs := make([]store.EmailEvent, 0, len(parsed))
	for _, e := range parsed {
		evs = append(evs, store.EmailEvent{SGMessageID: e.SGMessageID, MessageID: e.MessageID, EmailID: e.EmailID,
			Event: e.Event, Timestamp: e.Timestamp, Reason: e.Reason, Suppress: e.Suppress})
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), 5*time.Second)
	defer cancel()
	if err := s.recorder.RecordEmailEvents(ctx, evs); err != nil {
		_ = c.Error(err)
		s.answer(c, "unavailable", http.StatusServiceUnavailable, gin.H{"error": "cannot record the events now"})
		return
	}
	c.Set("events", len(evs))
	s.answer(c, "accepted", http.StatusOK, gin.H{"status": "accepted"})
}

func (s *SendGridEvents) answer(c *gin.Context, outcome string, status int, body gin.H) {
	c.Set("outcome", outcome)
	s.metrics.delivered(c, "sendgrid", outcome)
	c.AbortWithStatusJSON(status, body)
}
