package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/backorderd/backorderd/backorder"
	redaction "github.com/backorderd/backorderd/backorder/redact"
	"github.com/backorderd/backorderd/store"
)

// carryOutPrivacy serves one of Shopify's mandatory privacy topics: in the
// delivery's transaction, a customer's data document without the count of
// deliveries, or the erasure of a customer's or the whole shop's personal
// data from orders, emails and earlier data documents, keeping counts; then
// the recorded delivery bodies are scanned (counted or rewritten) a page
// per transaction, the first page here and the rest in privacy scan tasks
// (scanBodies). The data document goes to the merchant when the scan ends.
func carryOutPrivacy(ctx context.Context, tx *store.Tx, out *Outbox, shop store.Shop, inboxID int64, req backorder.PrivacyRequest) error {
	rec := store.PrivacyRecord{ShopID: shop.ID, InboxID: inboxID, Kind: string(req.Kind),
		RequestID: req.RequestID, CustomerID: req.Customer.ID}
	c := req.Customer
	subject := redaction.Subject{CustomerID: c.ID, Email: c.Email, Phone: c.Phone, OrderIDs: req.OrderIDs}
	var err error
	switch req.Kind {
	case backorder.CustomerDataRequest:
		rec.Document, rec.Orders, err = dataDocument(ctx, tx, shop, req, subject)
	case backorder.CustomerRedact:
		rec.Orders, err = redact(ctx, tx, shop.ID, subject)
	case backorder.ShopRedact:
		subject = redaction.Subject{All: true}
		rec.Orders, err = redact(ctx, tx, shop.ID, subject)
	default:
		return fmt.Errorf("unknown privacy request %q", req.Kind)
	}
	if err != nil {
		return err
	}
	if err := tx.AddPrivacyRecord(ctx, rec); err != nil {
		return err
	}
	return scanBodies(ctx, tx, out, shop, bodyScan{InboxID: inboxID, Kind: req.Kind, Subject: subject})
}

// redact erases the subject's personal data from orders, emails and earlier
// data documents and returns how many orders it touched. The recorded
// deliveries are scanBodies' work.
func redact(ctx context.Context, tx *store.Tx, shopID int64, s redaction.Subject) (orders int, err error) {
	// The customer's orders, however they are found, name the emails
	// written about them.
	theirs, err := tx.CustomerOrders(ctx, shopID, s.CustomerID, s.Email, s.OrderIDs)
	if err != nil {
		return 0, err
	}
	orderIDs := slices.Clone(s.OrderIDs)
	for _, o := range theirs {
		orderIDs = append(orderIDs, o.OrderID)
	}
	if err = tx.RedactEmails(ctx, shopID, s.CustomerID, s.Email, orderIDs, s.All); err != nil {
		return 0, err
	}
	if orders, err = tx.RedactOrders(ctx, shopID, s.CustomerID, s.Email, s.OrderIDs, s.All); err != nil {
		return 0, err
	}
	customer := s.CustomerID
	if s.All {
		customer = ""
	}
	_, err = tx.EraseDataDocuments(ctx, shopID, customer)
	return orders, err
}

// dataDocument is the customer's data as backorderd holds it, for the
// merchant to pass on: the personal fields and the orders with their lines;
// how many recorded deliveries mention the customer is filled in when the
// scan of the deliveries ends (withDeliveriesHeld).
func dataDocument(ctx context.Context, tx *store.Tx, shop store.Shop, req backorder.PrivacyRequest,
	s redaction.Subject) (doc string, orders int, err error) {
	recs, err := tx.CustomerOrders(ctx, shop.ID, s.CustomerID, s.Email, s.OrderIDs)
	if err != nil {
		return "", 0, err
	}
	out := privacyDocument{Shop: shop.Domain, DataRequestID: req.RequestID, Customer: documentCustomer(req.Customer),
		WhatIsKept: "order names, dates, lines and status; the customer's email, name and phone on each order; " +
			"the reasons operators gave for acting on the customer's backorders; " +
			"the raw webhook deliveries that mention the customer"}
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.OrderID
	}
	// Operators' reasons are free text that may speak of the customer.
	acts, err := tx.OrdersOperatorActions(ctx, shop.ID, ids)
	if err != nil {
		return "", 0, err
	}
	for _, r := range recs {
		o := documentOrder{OrderID: r.OrderID, Name: r.Name, PlacedAt: r.PlacedAt.UTC(), Status: r.Status, Email: r.Email,
			FirstName: r.FirstName, LastName: r.LastName, Phone: r.Phone, ShippingMethod: r.ShippingMethod}
		for _, l := range r.Lines {
			o.Lines = append(o.Lines, documentLine{SKU: l.SKU, Title: l.Title, Quantity: l.Quantity})
		}
		for _, a := range acts {
			if a.OrderID == r.OrderID {
				o.OperatorActions = append(o.OperatorActions, documentAction{LineID: a.LineID, Action: a.Action,
					Reason: a.Reason, At: a.CreatedAt.UTC()})
			}
		}
		out.Orders = append(out.Orders, o)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return "", 0, fmt.Errorf("encode data document: %w", err)
	}
	return string(b), len(recs), nil
}

// privacyDocument is a customer's data document.
type privacyDocument struct {
	Shop           string           `json:"shop"`
	DataRequestID  string           `json:"data_request_id"`
	Customer       documentCustomer `json:"customer"`
	Orders         []documentOrder  `json:"orders"`
	DeliveriesHeld int              `json:"deliveries_held"`
	WhatIsKept     string           `json:"what_is_kept"`
}

// documentCustomer is backorder.Customer spelled like the rest of the
// document.
type documentCustomer struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Phone     string `json:"phone"`
}

type documentOrder struct {
	OrderID        string         `json:"order_id"`
	Name           string         `json:"name"`
	PlacedAt       time.Time      `json:"placed_at"`
	Status         string         `json:"status"`
	Email          string         `json:"email"`
	FirstName      string         `json:"first_name"`
	LastName       string         `json:"last_name"`
	Phone          string         `json:"phone"`
	ShippingMethod string         `json:"shipping_method"`
	Lines          []documentLine `json:"lines"`
	// OperatorActions are the operators' actions on the order's
	// backorders, with the reasons they gave.
	OperatorActions []documentAction `json:"operator_actions,omitempty"`
}

// documentAction is an operator's action on a backorder of the order.
type documentAction struct {
	LineID string    `json:"line_id"`
	Action string    `json:"action"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

type documentLine struct {
	SKU      string `json:"sku"`
	Title    string `json:"title"`
	Quantity int    `json:"quantity"`
}

// withDeliveriesHeld completes a data document with the count the scan of
// the recorded deliveries found.
func withDeliveriesHeld(doc string, n int) (string, error) {
	var d privacyDocument
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return "", fmt.Errorf("decode data document: %w", err)
	}
	d.DeliveriesHeld = n
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("encode data document: %w", err)
	}
	return string(b), nil
}
