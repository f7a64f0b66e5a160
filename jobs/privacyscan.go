package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/backorder"
	redaction "github.com/backorderd/backorderd/backorder/redact"
	"github.com/backorderd/backorderd/email"
	"github.com/backorderd/backorderd/store"
)

// TypePrivacyScan scans the next page of a shop's recorded deliveries for a
// privacy request.
const TypePrivacyScan = "privacy:scan-bodies"

// bodyPage is how many recorded deliveries one transaction of a privacy
// scan reads: a shop's whole inbox in one would outlast the task timeout
// and, on SQLite, hold the one write lock meanwhile. Tests lower it.
var bodyPage = 100

// PrivacyScanArgs name the privacy request (by the inbox row it came from)
// and the last delivery scanned: ids only, the subject stays in the
// database.
type PrivacyScanArgs struct {
	ShopID  int64    `json:"shop_id"`
	InboxID int64    `json:"inbox_id"`
	After   int64    `json:"after"`
	Subject *Subject `json:"subject,omitempty"` // for people: handlers ignore it
}

func (a PrivacyScanArgs) subject() *Subject { return a.Subject }

// bodyScan is one page's work: the request, its subject, and the cursor.
type bodyScan struct {
	InboxID int64
	Kind    backorder.PrivacyKind
	Subject redaction.Subject
	After   int64
}

// scanBodies counts (a data request) or redacts (a redaction) the subject
// in one page of the shop's recorded deliveries after the cursor, then
// schedules the next page, or, at the end, completes the request's record
// and sends the merchant the data document.
func scanBodies(ctx context.Context, tx *store.Tx, out *Outbox, shop store.Shop, s bodyScan) error {
	page, err := tx.InboxBodies(ctx, shop.ID, s.After, bodyPage)
	if err != nil {
		return err
	}
	found := 0
	for _, b := range page {
		if s.Kind == backorder.CustomerDataRequest {
			if redaction.Mentions(b.Body, s.Subject) {
				found++
			}
			continue
		}
		body, changed := redaction.Body(b.Body, s.Subject)
		if !changed {
			continue
		}
		found++
		if err := tx.ReplaceInboxBody(ctx, b.ID, body); err != nil {
			return err
		}
	}
	if len(page) == bodyPage {
		subject, err := json.Marshal(s.Subject)
		if err != nil {
			return fmt.Errorf("encode privacy subject: %w", err)
		}
		if err := tx.AdvancePrivacyScan(ctx, s.InboxID, len(page), found, string(subject)); err != nil {
			return err
		}
		args := PrivacyScanArgs{ShopID: shop.ID, InboxID: s.InboxID, After: page[len(page)-1].ID,
			Subject: &Subject{Shop: shop.Domain}}
		_, err = out.Add(ctx, TypePrivacyScan, QueueDefault, args, time.Time{})
		return err
	}
	return completeScan(ctx, tx, out, shop, s.InboxID, len(page), found)
}

// completeScan records the scan's last page and, for a data request whose
// document still stands, completes the document and mails it.
func completeScan(ctx context.Context, tx *store.Tx, out *Outbox, shop store.Shop, inboxID int64, scanned, found int) error {
	rec, err := tx.PrivacyScanOf(ctx, inboxID)
	if err != nil {
		return err
	}
	doc := ""
	if rec.Kind == string(backorder.CustomerDataRequest) && rec.Document != "" {
		if doc, err = withDeliveriesHeld(rec.Document, rec.Deliveries+found); err != nil {
			return err
		}
	}
	if err := tx.CompletePrivacyScan(ctx, inboxID, scanned, found, doc); err != nil {
		return err
	}
	if doc == "" || shop.MerchantEmail == "" {
		return nil
	}
	var pretty bytes.Buffer
	_ = json.Indent(&pretty, []byte(doc), "", "  ") // built by json.Marshal just above
	data := email.Merchant{Shop: emailShop(shop), RequestID: rec.RequestID, Document: pretty.String()}
	key := "privacy:" + strconv.FormatInt(inboxID, 10)
	_, _, err = writeEmail(ctx, tx, out, shop, email.PrivacyDocument, key, recipient{email: shop.MerchantEmail, name: shop.Name}, data)
	return err
}

// PrivacyScanner runs the pages of privacy scans after the first.
type PrivacyScanner struct {
	dispatcher *Dispatcher
	store      TxStore
}

// NewPrivacyScanner returns the scanner.
func NewPrivacyScanner(s TxStore, d *Dispatcher) *PrivacyScanner {
	return &PrivacyScanner{dispatcher: d, store: s}
}

// Handler is the asynq handler of TypePrivacyScan.
func (p *PrivacyScanner) Handler() asynq.Handler {
	return p.dispatcher.OutboxHandler(p.store, p.run)
}

func (p *PrivacyScanner) run(ctx context.Context, tx *store.Tx, out *Outbox, task store.OutboxTask) error {
	var args PrivacyScanArgs
	if err := json.Unmarshal(task.Payload, &args); err != nil || args.ShopID == 0 || args.InboxID == 0 {
		return fmt.Errorf("decode privacy scan args %q: %w", task.Payload, asynq.SkipRetry)
	}
	rec, err := tx.PrivacyScanOf(ctx, args.InboxID)
	if err != nil {
		return err
	}
	if rec.CompletedAt != nil {
		return nil
	}
	var subject redaction.Subject
	if err := json.Unmarshal([]byte(rec.Subject), &subject); err != nil {
		return fmt.Errorf("decode privacy subject of inbox %d: %w", args.InboxID, asynq.SkipRetry)
	}
	shop, err := tx.Shop(ctx, args.ShopID)
	if err != nil {
		return err
	}
	return scanBodies(ctx, tx, out, shop, bodyScan{InboxID: args.InboxID, Kind: backorder.PrivacyKind(rec.Kind),
		Subject: subject, After: args.After})
}
