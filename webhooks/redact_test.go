package webhooks_test

import (
	"testing"

	"github.com/backorderd/backorderd/webhooks"
)

func TestMentionsFindsTheSubjectWithoutChangingTheBody(t *testing.T) {
	_, body := fixture(t, "shopify/orders-create")
	before := string(body)
	if !webhooks.Mentions(body, webhooks.Subject{Email: "WREN.okafor@example.net"}) {
		t.Error("the order of wren.okafor@example.net does not mention her")
	}
	if !webhooks.Mentions(body, webhooks.Subject{OrderIDs: []string{"6120458839152"}}) {
		t.Error("the order does not mention its own id")
	}
	if webhooks.Mentions(body, webhooks.Subject{Email: "someone@example.org", CustomerID: "1"}) {
		t.Error("the order mentions someone else")
	}
	if string(body) != before {
		t.Error("Mentions changed the body")
	}
}
