package redact_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/backorderd/backorderd/backorder/redact"
)

func TestMentionsFindsTheSubjectWithoutChangingTheBody(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("..", "..", "testdata", "shopify", "orders-create.json"))
	if err != nil {
		t.Fatal(err)
	}
	before := string(body)
	if !redact.Mentions(body, redact.Subject{Email: "WREN.okafor@example.net"}) {
		t.Error("the order of wren.okafor@example.net does not mention her")
	}
	if !redact.Mentions(body, redact.Subject{OrderIDs: []string{"6120458839152"}}) {
		t.Error("the order does not mention its own id")
	}
	if redact.Mentions(body, redact.Subject{Email: "someone@example.org", CustomerID: "1"}) {
		t.Error("the order mentions someone else")
	}
	if string(body) != before {
		t.Error("Mentions changed the body")
	}
}
