package webhooks

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"net/http"
	"strconv"
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
	r.POST("/webhooks/sendgrid", s.receive)
}

// sgEvent is one event as SendGrid posts it; custom args come back as
// top-level fields.
type sgEvent struct {
	Event       string          `json:"event"`
	Timestamp   int64           `json:"timestamp"`
	SGMessageID string          `json:"sg_message_id"`
	Reason      string          `json:"reason"`
	EmailID     json.RawMessage `json:"email_id"`
}

var recordedEvents = map[string]bool{"delivered": true, "bounce": true, "dropped": true, "spamreport": true}

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
	var raw []sgEvent
	if err := json.Unmarshal(body, &raw); err != nil {
		// Signed but unusable: retrying cannot fix it.
		_ = c.Error(err)
		s.answer(c, "rejected", http.StatusOK, gin.H{"status": "rejected"})
		return
	}
	var evs []store.EmailEvent
	for _, e := range raw {
		if !recordedEvents[e.Event] || e.SGMessageID == "" {
			continue
		}
		evs = append(evs, store.EmailEvent{SGMessageID: e.SGMessageID, MessageID: sendgrid.MessageID(e.SGMessageID),
			EmailID: customID(e.EmailID), Event: e.Event, Timestamp: e.Timestamp, Reason: e.Reason})
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
	s.metrics.deliveries.WithLabelValues("sendgrid", outcome).Inc()
	c.AbortWithStatusJSON(status, body)
}

// customID reads the email_id custom arg, a string or a number; 0 when
// absent.
func customID(raw json.RawMessage) int64 {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		s = string(raw)
	}
	id, _ := strconv.ParseInt(s, 10, 64)
	return id
}
