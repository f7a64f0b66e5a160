package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/email"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/webhooks"
)

// carryOutPrivacy serves one of Shopify's mandatory privacy topics inside
// the delivery's transaction: a customer's data document, or the erasure of
// a customer's or the whole shop's personal data wherever it is kept
// (orders, recorded deliveries, earlier data documents), keeping counts.
func carryOutPrivacy(ctx context.Context, tx *store.Tx, out *Outbox, shop store.Shop, inboxID int64, req backorder.PrivacyRequest) error {
	rec := store.PrivacyRecord{ShopID: shop.ID, InboxID: inboxID, Kind: string(req.Kind),
		RequestID: req.RequestID, CustomerID: req.Customer.ID}
	c := req.Customer
	subject := webhooks.Subject{CustomerID: c.ID, Email: c.Email, Phone: c.Phone, OrderIDs: req.OrderIDs}
	var err error
	switch req.Kind {
	case backorder.CustomerDataRequest:
		rec.Document, rec.Orders, rec.Deliveries, err = dataDocument(ctx, tx, shop, req, subject)
	case backorder.CustomerRedact:
		rec.Orders, rec.Deliveries, err = redact(ctx, tx, shop.ID, subject)
	case backorder.ShopRedact:
		rec.Orders, rec.Deliveries, err = redact(ctx, tx, shop.ID, webhooks.Subject{All: true})
	default:
		return fmt.Errorf("unknown privacy request %q", req.Kind)
	}
	if err != nil {
		return err
	}
	if rec.Document != "" && shop.MerchantEmail != "" {
		var pretty bytes.Buffer
		_ = json.Indent(&pretty, []byte(rec.Document), "", "  ") // built by json.Marshal just above
		data := email.Merchant{Shop: emailShop(shop), RequestID: req.RequestID, Document: pretty.String()}
		key := "privacy:" + strconv.FormatInt(inboxID, 10)
		if _, _, err := writeEmail(ctx, tx, out, shop, email.PrivacyDocument, key, recipient{email: shop.MerchantEmail, name: shop.Name}, data); err != nil {
			return err
		}
	}
	return tx.AddPrivacyRecord(ctx, rec)
}

// redact erases the subject's personal data and returns how many orders and
// recorded deliveries it touched.
func redact(ctx context.Context, tx *store.Tx, shopID int64, s webhooks.Subject) (orders, deliveries int, err error) {
	// The customer's orders, however they are found, name the emails
	// written about them.
	theirs, err := tx.CustomerOrders(ctx, shopID, s.CustomerID, s.Email, s.OrderIDs)
	if err != nil {
		return 0, 0, err
	}
	orderIDs := slices.Clone(s.OrderIDs)
	for _, o := range theirs {
		orderIDs = append(orderIDs, o.OrderID)
	}
	if err = tx.RedactEmails(ctx, shopID, s.CustomerID, s.Email, orderIDs, s.All); err != nil {
		return 0, 0, err
	}
	if orders, err = tx.RedactOrders(ctx, shopID, s.CustomerID, s.Email, s.OrderIDs, s.All); err != nil {
		return 0, 0, err
	}
	err = eachInboxBody(ctx, tx, shopID, func(b store.InboxBody) error {
		body, changed := webhooks.RedactBody(b.Body, s)
		if !changed {
			return nil
		}
		deliveries++
		return tx.ReplaceInboxBody(ctx, b.ID, body)
	})
	if err != nil {
		return 0, 0, err
	}
	customer := s.CustomerID
	if s.All {
		customer = ""
	}
	_, err = tx.EraseDataDocuments(ctx, shopID, customer)
	return orders, deliveries, err
}

// eachInboxBody calls fn for every recorded delivery of the shop, a page at
// a time (a page is read whole before fn writes).
func eachInboxBody(ctx context.Context, tx *store.Tx, shopID int64, fn func(store.InboxBody) error) error {
	for after := int64(0); ; {
		page, err := tx.InboxBodies(ctx, shopID, after, 100)
		if err != nil {
			return err
		}
		for _, b := range page {
			if err := fn(b); err != nil {
				return err
			}
			after = b.ID
		}
		if len(page) < 100 {
			return nil
		}
	}
}

// dataDocument is the customer's data as backorderd holds it, for the
// merchant to pass on: the personal fields, the orders with their lines,
// and how many recorded deliveries mention the customer.
func dataDocument(ctx context.Context, tx *store.Tx, shop store.Shop, req backorder.PrivacyRequest,
	s webhooks.Subject) (doc string, orders, deliveries int, err error) {
	recs, err := tx.CustomerOrders(ctx, shop.ID, s.CustomerID, s.Email, s.OrderIDs)
	if err != nil {
		return "", 0, 0, err
	}
	err = eachInboxBody(ctx, tx, shop.ID, func(b store.InboxBody) error {
		if webhooks.Mentions(b.Body, s) {
			deliveries++
		}
		return nil
	})
	if err != nil {
		return "", 0, 0, err
	}
	type line struct {
		SKU      string `json:"sku"`
		Title    string `json:"title"`
		Quantity int    `json:"quantity"`
	}
	type order struct {
		OrderID        string    `json:"order_id"`
		Name           string    `json:"name"`
		PlacedAt       time.Time `json:"placed_at"`
		Status         string    `json:"status"`
		Email          string    `json:"email"`
		FirstName      string    `json:"first_name"`
		LastName       string    `json:"last_name"`
		Phone          string    `json:"phone"`
		ShippingMethod string    `json:"shipping_method"`
		Lines          []line    `json:"lines"`
	}
	// customer is backorder.Customer spelled like the rest of the document.
	type customer struct {
		ID        string `json:"id"`
		Email     string `json:"email"`
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
		Phone     string `json:"phone"`
	}
	out := struct {
		Shop           string   `json:"shop"`
		DataRequestID  string   `json:"data_request_id"`
		Customer       customer `json:"customer"`
		Orders         []order  `json:"orders"`
		DeliveriesHeld int      `json:"deliveries_held"`
		WhatIsKept     string   `json:"what_is_kept"`
	}{Shop: shop.Domain, DataRequestID: req.RequestID, Customer: customer(req.Customer), DeliveriesHeld: deliveries,
		WhatIsKept: "order names, dates, lines and status; the customer's email, name and phone on each order; " +
			"the raw webhook deliveries that mention the customer"}
	for _, r := range recs {
		o := order{OrderID: r.OrderID, Name: r.Name, PlacedAt: r.PlacedAt.UTC(), Status: r.Status, Email: r.Email,
			FirstName: r.FirstName, LastName: r.LastName, Phone: r.Phone, ShippingMethod: r.ShippingMethod}
		for _, l := range r.Lines {
			o.Lines = append(o.Lines, line{SKU: l.SKU, Title: l.Title, Quantity: l.Quantity})
		}
		out.Orders = append(out.Orders, o)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return "", 0, 0, fmt.Errorf("encode data document: %w", err)
	}
	return string(b), len(recs), deliveries, nil
}
