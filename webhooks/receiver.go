// Package webhooks holds the gin handlers that receive the stores' and
// SendGrid's deliveries — read the raw body, verify its signature with the
// platform's package (integrations/…), record it in the inbox, enqueue its
// task, answer. No payload parsing or business work happens here. Handlers log nothing
// themselves: they set gin context keys (inbox_id, topic, outcome, refused,
// …) and errors, which the request's one log line carries.
package webhooks

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/store"
)

// Enqueuer enqueues the task of a recorded delivery, or, when the database
// cannot take the delivery, a task that carries it whole and records it
// once the database is back.
type Enqueuer interface {
	// EnqueueDeliveryOf enqueues inbox row id's task, which names the
	// shop (its domain) and the topic for the monitor.
	EnqueueDeliveryOf(ctx context.Context, id int64, shop, topic string) error
	SpoolDelivery(ctx context.Context, d store.Delivery) error
}

// Receiver receives the stores' webhooks.
type Receiver struct {
	shops    *Shops
	intake   *groupCommit
	enqueuer Enqueuer
	maxBody  int64
	metrics  *Metrics
	now      func() time.Time
}

// NewReceiver returns a receiver that records into recorder, deliveries
// that arrive together in one write as b says, and enqueues through
// enqueuer, refusing bodies over maxBody bytes.
func NewReceiver(shops *Shops, recorder Recorder, b Batching, enqueuer Enqueuer, maxBody int64, m *Metrics) *Receiver {
	return &Receiver{shops: shops, intake: newGroupCommit(recorder, b, m), enqueuer: enqueuer, maxBody: maxBody,
		metrics: m, now: time.Now}
}

// Mount adds the webhook routes to r.
func (rc *Receiver) Mount(r gin.IRouter) {
	r.POST("/webhooks/shopify", rc.metrics.timed(string(store.Shopify)), rc.shopify)
	r.POST("/webhooks/woocommerce", rc.metrics.timed(string(store.WooCommerce)), rc.woocommerce)
}

// Time budgets after the body is read: Shopify waits five seconds in all.
const (
	recordTimeout = 2 * time.Second
	spoolTimeout  = time.Second
)

// incoming is what a platform's handler found in a delivery's headers.
type incoming struct {
	platform  store.Platform
	source    string // shop domain or store URL
	signature string
	topic     string
	headers   map[string]string // the ones worth keeping
	// dedupeKey names the delivery within its shop.
	dedupeKey func(body []byte) string
	// verify checks the signature against the shop's secrets.
	verify func(body []byte, signature string, secrets []string) bool
	// handled says whether backorderd acts on the topic.
	handled func(topic string) bool
}

// receive finds the delivery's shop, then reads and verifies the body and
// makes it durable, then answers. A delivery for no known shop is refused
// before its body is read.
func (rc *Receiver) receive(c *gin.Context, in incoming) {
	if in.source == "" {
		rc.refuse(c, in.platform, "no shop header", "")
		return
	}
	shop, err := rc.shops.Lookup(c.Request.Context(), in.platform, in.source)
	if errors.Is(err, errUnknownShop) {
		rc.refuse(c, in.platform, "unknown shop", in.source)
		return
	}
	if err != nil {
		_ = c.Error(err)
		rc.answer(c, in.platform, "unavailable", http.StatusServiceUnavailable, gin.H{"error": "cannot verify the delivery now; retry later"})
		return
	}
	body, ok := rc.readBody(c, in.platform)
	if !ok {
		return
	}
	if !in.verify(body, in.signature, shop.Secrets()) {
		rc.refuse(c, in.platform, "bad signature", in.source)
		return
	}
	c.Set("shop_id", shop.ID)
	c.Set("shop", shop.Domain)
	c.Set("topic", in.topic)
	if !in.handled(in.topic) {
		// Acknowledged, so that the store never disables the subscription.
		rc.answer(c, in.platform, "ignored_topic", http.StatusOK, gin.H{"status": "ignored"})
		return
	}
	rc.accept(c, in.platform, shop.Domain, store.Delivery{
		ShopID: shop.ID, Topic: in.topic, DedupeKey: in.dedupeKey(body),
		Headers: in.headers, Body: body, ReceivedAt: rc.now(),
	})
}

// accept makes a verified delivery durable: in the inbox, written together
// with the deliveries that arrived meanwhile (group commit), its task then
// enqueued (or left to the relay when Redis is down); when the database
// cannot take it, in Redis as a task carrying it whole. Only when neither
// can is the answer 503. The answer follows its own row's commit. The work
// finishes even if the store hangs up.
func (rc *Receiver) accept(c *gin.Context, platform store.Platform, domain string, d store.Delivery) {
	base := context.WithoutCancel(c.Request.Context())
	ctx, cancel := context.WithTimeout(base, rc.intake.cfg.Budget)
	defer cancel()
	deadline, _ := ctx.Deadline()
	rec := rc.intake.record(d, deadline)
	id, duplicate, err := rec.ID, rec.Duplicate, rec.Err
	if err != nil {
		_ = c.Error(err)
		sctx, scancel := context.WithTimeout(base, spoolTimeout)
		defer scancel()
		if serr := rc.enqueuer.SpoolDelivery(sctx, d); serr != nil {
			_ = c.Error(serr)
			rc.answer(c, platform, "unavailable", http.StatusServiceUnavailable, gin.H{"error": "cannot record the delivery now; retry later"})
			return
		}
		rc.answer(c, platform, "spooled", http.StatusOK, gin.H{"status": "accepted"})
		return
	}
	c.Set("inbox_id", id)
	if duplicate {
		rc.answer(c, platform, "duplicate", http.StatusOK, gin.H{"status": "duplicate"})
		return
	}
	if err := rc.enqueuer.EnqueueDeliveryOf(ctx, id, domain, d.Topic); err != nil {
		_ = c.Error(err) // recorded, so ours: the relay enqueues it later
		c.Set("relay", true)
	}
	rc.answer(c, platform, "accepted", http.StatusOK, gin.H{"status": "accepted"})
}

// answer replies and counts the outcome.
func (rc *Receiver) answer(c *gin.Context, platform store.Platform, outcome string, status int, body gin.H) {
	c.Set("outcome", outcome)
	rc.metrics.delivered(c, string(platform), outcome)
	c.AbortWithStatusJSON(status, body)
}

// refuse answers 401 without saying why; the request's log line and the
// counter do.
func (rc *Receiver) refuse(c *gin.Context, platform store.Platform, why, source string) {
	c.Set("refused", why)
	c.Set("source", source)
	rc.metrics.delivered(c, string(platform), "unauthorized")
	rc.metrics.refused.WithLabelValues(string(platform), why).Inc()
	c.Set("outcome", "unauthorized")
	c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "unauthorized"})
}

// readBody reads the raw body, answering 413 when it is over the limit
// without reading the rest.
func (rc *Receiver) readBody(c *gin.Context, platform store.Platform) ([]byte, bool) {
	tooLarge := func() ([]byte, bool) {
		rc.answer(c, platform, "too_large", http.StatusRequestEntityTooLarge, gin.H{"error": "body too large"})
		c.Header("Connection", "close")
		return nil, false
	}
	if c.Request.ContentLength > rc.maxBody {
		return tooLarge()
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, rc.maxBody)
	body, err := readAll(c.Request.Body, c.Request.ContentLength)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return tooLarge()
	case err != nil:
		rc.answer(c, platform, "unreadable", http.StatusBadRequest, gin.H{"error": "could not read the body"})
		return nil, false
	}
	return body, true
}

// readAll reads r to its end into a buffer of the declared length, when
// there is one (which readBody has held to the limit), in one allocation:
// io.ReadAll grows its buffer by doubling, and for a store's 9 KB order
// that garbage was a fifth of what the receiver allocated per delivery. A
// body longer than declared is read on; net/http ends one that is shorter.
func readAll(r io.Reader, declared int64) ([]byte, error) {
	if declared <= 0 {
		return io.ReadAll(r)
	}
	buf := make([]byte, 0, declared+1) // +1: room to see the end without growing
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// keep copies the named headers that are present.
func keep(c *gin.Context, names []string) map[string]string {
	h := make(map[string]string, len(names))
	for _, n := range names {
		if v := c.GetHeader(n); v != "" {
			h[n] = v
		}
	}
	return h
}
