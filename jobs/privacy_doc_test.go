package jobs

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/backorder"
	redaction "github.com/backorderd/backorderd/backorder/redact"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func TestDataDocumentSpellsEveryFieldInSnakeCase(t *testing.T) {
	st := storetest.New(t, store.SQLite)
	ctx := context.Background()
	shop, err := st.AddShop(ctx, store.NewShop(store.Shopify, "doc.myshopify.com", "s"))
	if err != nil {
		t.Fatal(err)
	}
	req := backorder.PrivacyRequest{Kind: backorder.CustomerDataRequest, RequestID: "9",
		Customer: backorder.Customer{ID: "5", Email: "wren@example.net", FirstName: "Wren", LastName: "Ash", Phone: "+1 555"}}
	var doc string
	err = st.InTx(ctx, func(tx *store.Tx) error {
		doc, _, err = dataDocument(ctx, tx, shop, req, redaction.Subject{CustomerID: "5", Email: "wren@example.net"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"first_name":"Wren"`, `"last_name":"Ash"`, `"email":"wren@example.net"`, `"phone":"+1 555"`, `"id":"5"`} {
		if !strings.Contains(doc, want) {
			t.Errorf("document lacks %s: %s", want, doc)
		}
	}
	for _, goName := range []string{"FirstName", "LastName", `"Email"`, `"ID"`} {
		if strings.Contains(doc, goName) {
			t.Errorf("document uses the Go name %s: %s", goName, doc)
		}
	}
}

func TestDataDocumentHoldsTheReasonsOperatorsGaveAboutTheCustomersBackorders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		shop, err := st.AddShop(ctx, store.NewShop(store.Shopify, "doc.myshopify.com", "s"))
		if err != nil {
			t.Fatal(err)
		}
		placed := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		var doc string
		err = st.InTx(ctx, func(tx *store.Tx) error {
			for _, o := range []struct{ id, customer string }{{"601", "5"}, {"602", "6"}} {
				if _, err := tx.ApplyOrder(ctx, shop.ID, backorder.Order{OrderID: o.id, Name: "#" + o.id, Status: backorder.OrderOpen,
					Customer: backorder.Customer{ID: o.customer, Email: o.customer + "@example.net"}, PlacedAt: placed, UpdatedAt: placed,
					Version: backorder.Version{At: placed}, Lines: []backorder.Line{{LineID: "1", ItemID: "777", Quantity: 1, OpenUnits: 1}}}); err != nil {
					return err
				}
				if err := tx.WriteBackorders(ctx, shop.ID, "test", []store.BackorderWrite{{OrderID: o.id, LineID: "1", ItemID: "777",
					Ordered: 1, Backordered: 1, Waiting: 1, Status: "waiting"}}); err != nil {
					return err
				}
				bos, err := tx.OrderBackorders(ctx, shop.ID, o.id)
				if err != nil {
					return err
				}
				if _, err := tx.AddOperatorAction(ctx, store.OperatorAction{ShopID: shop.ID, BackorderID: bos[0].ID, Action: "cancel",
					Actor: "admin token", Reason: "customer " + o.customer + " phoned"}, store.EventWrite{Kind: "cancelled"}); err != nil {
					return err
				}
			}
			req := backorder.PrivacyRequest{Kind: backorder.CustomerDataRequest, RequestID: "9", Customer: backorder.Customer{ID: "5"}}
			doc, _, err = dataDocument(ctx, tx, shop, req, redaction.Subject{CustomerID: "5"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := `"operator_actions":[{"line_id":"1","action":"cancel","reason":"customer 5 phoned"`; !strings.Contains(doc, want) {
			t.Errorf("document lacks %s: %s", want, doc)
		}
		if strings.Contains(doc, "customer 6") {
			t.Errorf("document holds another customer's reason: %s", doc)
		}
	})
}
