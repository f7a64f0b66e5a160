package jobs

import (
	"context"
	"strings"
	"testing"

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
