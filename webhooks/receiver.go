// Package webhooks holds the gin handlers that receive the stores'
// deliveries: read the raw body, verify its signature, record it in the
// inbox, enqueue its task and answer. No business work happens here; the
// delivery's task applies it. Handlers log nothing themselves: they set gin
// context keys (inbox_id, topic, refused, …) and errors, which the request's
// one log line carries.
package webhooks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/store"
)

// Recorder is the part of the store the receiver writes to.
type Recorder interface {
	RecordDelivery(ctx context.Context, d store.Delivery) (id int64, duplicate bool, err error)
}

// Enqueuer enqueues the task of a recorded delivery.
type Enqueuer interface {
	EnqueueDelivery(ctx context.Context, id int64) error
}

// Receiver receives the stores' webhooks.
type Receiver struct {
	shops    *Shops
	recorder Recorder
	enqueuer Enqueuer
	maxBody  int64
	now      func() time.Time
}

// NewReceiver returns a receiver that records into recorder and enqueues
// through enqueuer, refusing bodies over maxBody bytes.
func NewReceiver(shops *Shops, recorder Recorder, enqueuer Enqueuer, maxBody int64) *Receiver {
	return &Receiver{shops: shops, recorder: recorder, enqueuer: enqueuer, maxBody: maxBody, now: time.Now}
}

// Mount adds the webhook routes to r.
func (rc *Receiver) Mount(r gin.IRouter) {
	r.POST("/webhooks/shopify", rc.shopify)
}

// recordTimeout bounds the work done for one delivery after its body is
// read; Shopify waits five seconds in all.
const recordTimeout = 3 * time.Second

// accept records a verified delivery and enqueues its task. The recording
// finishes even if the store hangs up: once the row exists the delivery is
// ours. An enqueue that fails is left to the relay; the answer is still 2xx.
func (rc *Receiver) accept(c *gin.Context, d store.Delivery) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), recordTimeout)
	defer cancel()
	id, duplicate, err := rc.recorder.RecordDelivery(ctx, d)
	if err != nil {
		_ = c.Error(err)
		c.JSON(http.StatusServiceUnavailable, gin.H{"error": "cannot record the delivery now; retry later"})
		return
	}
	c.Set("inbox_id", id)
	c.Set("shop_id", d.ShopID)
	c.Set("topic", d.Topic)
	if duplicate {
		c.Set("outcome", "duplicate")
		c.JSON(http.StatusOK, gin.H{"status": "duplicate"})
		return
	}
	c.Set("outcome", "accepted")
	if err := rc.enqueuer.EnqueueDelivery(ctx, id); err != nil {
		// Recorded, so ours: the relay enqueues it later.
		_ = c.Error(err)
		c.Set("outcome", "accepted, task left to the relay")
	}
	c.JSON(http.StatusOK, gin.H{"status": "accepted"})
}

// readBody reads the raw body, answering 413 when it is over the limit.
func (rc *Receiver) readBody(c *gin.Context) ([]byte, bool) {
	if c.Request.ContentLength > rc.maxBody {
		c.AbortWithStatusJSON(http.StatusRequestEntityTooLarge, gin.H{"error": "body too large"})
		return nil, false
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, rc.maxBody)
	body, err := c.GetRawData()
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		c.AbortWithStatusJSON(http.StatusRequestEntityTooLarge, gin.H{"error": "body too large"})
		return nil, false
	case err != nil:
		c.AbortWithStatusJSON(http.StatusBadRequest, gin.H{"error": "could not read the body"})
		return nil, false
	}
	return body, true
}

// unauthorized answers 401 without saying why; the request's log line does.
func (rc *Receiver) unauthorized(c *gin.Context, why, source string) {
	c.Set("refused", why)
	c.Set("source", source)
	c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "unauthorized"})
}

func bodyHash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}
