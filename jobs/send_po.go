package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/email"
	"github.com/backorderd/backorderd/integrations/supplier"
	"github.com/backorderd/backorderd/store"
)

// SendPOHandler is the asynq handler of TypeSendPO. On the email channel
// the supplier's message (with the CSV) is written like every other email,
// in the task's transaction. On the http channel the document is POSTed
// outside any transaction, then the outcome is recorded: accepted, the
// task is done; refused for good (supplier.IsPermanent), the reason is
// kept on the order (send_error, a send_failed event) and the task is
// done; anything else is returned, and asynq retries it.
func (p *Purchasing) SendPOHandler() asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		outboxID, err := decodeRow(t)
		if err != nil {
			return err
		}
		post, err := p.prepareSend(ctx, outboxID)
		if err != nil || post == nil {
			return err
		}
		sendErr := errors.New("no supplier client configured")
		if p.sender != nil {
			sendErr = p.sender.SendPO(ctx, post.url, post.secret, post.delivery, post.body)
		}
		if sendErr != nil && p.sender != nil && !supplier.IsPermanent(sendErr) {
			return fmt.Errorf("send purchase order %d: %w", post.poID, sendErr)
		}
		return p.recordSend(ctx, outboxID, post.poID, sendErr)
	})
}

// poPost is a purchase order revision to POST to its supplier.
type poPost struct {
	poID        int64
	url, secret string
	delivery    string
	body        []byte
}

// prepareSend claims the send task: a task done already, or a revision
// that is no longer the order's (or a cancelled order), is finished with
// nothing sent; an email supplier's message is written and the task
// finished; an http supplier's document is returned to POST.
func (p *Purchasing) prepareSend(ctx context.Context, outboxID int64) (*poPost, error) {
	var post *poPost
	err := p.dispatcher.InTx(ctx, p.store, func(tx *store.Tx, out *Outbox) error {
		post = nil
		row, err := tx.ClaimOutbox(ctx, outboxID)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("outbox row %d is gone: %w", outboxID, asynq.SkipRetry)
		}
		if err != nil || row.Status == store.OutboxDone {
			return err
		}
		var args SendPOArgs
		if err := json.Unmarshal(row.Payload, &args); err != nil || args.POID == 0 {
			return fmt.Errorf("decode send-po args %q: %w", row.Payload, asynq.SkipRetry)
		}
		po, lines, err := tx.LockPO(ctx, args.POID)
		if err != nil {
			return err
		}
		if po.Revision != args.Revision || po.Status == store.POCancelled {
			return tx.FinishOutbox(ctx, outboxID)
		}
		sp, err := tx.Supplier(ctx, po.SupplierID)
		if err != nil {
			return err
		}
		shop, err := tx.Shop(ctx, po.ShopID)
		if err != nil {
			return err
		}
		if sp.Channel == store.ChannelHTTP {
			body, err := json.Marshal(poDocument(shop, po, lines))
			if err != nil {
				return fmt.Errorf("encode purchase order %d: %w", po.ID, err)
			}
			post = &poPost{poID: po.ID, url: sp.URL, secret: sp.Secret, body: body,
				delivery: "po-" + strconv.FormatInt(po.ID, 10) + "-r" + strconv.Itoa(po.Revision)}
			return nil
		}
		key := "po:" + strconv.FormatInt(po.ID, 10) + ":sent:" + strconv.Itoa(po.Revision)
		_, _, err = writeEmail(ctx, tx, out, shop, email.SupplierPurchaseOrder, key,
			recipient{email: sp.Email, name: sp.Name}, poEmail(shop, sp, po, lines))
		if err != nil {
			return err
		}
		return tx.FinishOutbox(ctx, outboxID)
	})
	return post, err
}

// recordSend finishes the send task of an http supplier's order; a send
// refused for good (sendErr) is kept on the order and its trail.
func (p *Purchasing) recordSend(ctx context.Context, outboxID, poID int64, sendErr error) error {
	return p.dispatcher.InTx(ctx, p.store, func(tx *store.Tx, out *Outbox) error {
		row, err := tx.ClaimOutbox(ctx, outboxID)
		if err != nil || row.Status == store.OutboxDone {
			return err
		}
		if sendErr != nil {
			po, _, err := tx.LockPO(ctx, poID)
			if err != nil {
				return err
			}
			po.SendError = sendErr.Error()
			if err := tx.SavePO(ctx, po); err != nil {
				return err
			}
			err = tx.AddPOEvent(ctx, store.POEvent{POID: po.ID, Revision: po.Revision, Kind: poEventSendFailed, Detail: po.SendError})
			if err != nil {
				return err
			}
			out.AfterCommit(func() {
				p.log.Warn("purchase order refused by its supplier: not retried", "po_id", poID, "err", sendErr)
			})
		}
		return tx.FinishOutbox(ctx, outboxID)
	})
}

// poNumber is how a purchase order is named to its supplier.
func poNumber(id int64) string { return "PO-" + strconv.FormatInt(id, 10) }

// poDocument is the JSON an http supplier is POSTed.
func poDocument(shop store.Shop, po store.PurchaseOrder, lines []store.POLine) supplier.PODocument {
	d := supplier.PODocument{PurchaseOrderID: po.ID, Revision: po.Revision, Shop: shop.Name, Currency: po.Currency,
		CreatedAt: po.CreatedAt.UTC(), Lines: make([]supplier.PODocLine, len(lines))}
	for i, l := range lines {
		d.Lines[i] = supplier.PODocLine{ItemID: l.ItemID, SKU: l.SKU, SupplierSKU: l.SupplierSKU, Title: l.Title,
			Quantity: l.Quantity, UnitCost: l.UnitCost}
	}
	return d
}

// poEmail is the data of an email supplier's message.
func poEmail(shop store.Shop, sp store.Supplier, po store.PurchaseOrder, lines []store.POLine) email.PurchaseOrder {
	d := email.PurchaseOrder{Shop: emailShop(shop), SupplierName: sp.Name, PONumber: poNumber(po.ID),
		Revision: po.Revision, Currency: po.Currency, Lines: make([]email.POLine, len(lines))}
	for i, l := range lines {
		d.Lines[i] = email.POLine{SKU: l.SKU, SupplierSKU: l.SupplierSKU, Title: l.Title, Quantity: l.Quantity, UnitCost: l.UnitCost}
	}
	return d
}
