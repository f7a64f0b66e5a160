package shopifytest_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/integrations/shopify/shopifytest"
)

// recorder is a testing.TB whose Errorf is recorded, not reported: the
// fake must fail the test of a client that sends what Shopify refuses.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) Helper() {}

func TestTheFakeRefusesWhatShopifyWould(t *testing.T) {
	const good = `{"query":"query OrderCancelled($id: ID!) { order(id: $id) { id cancelledAt } }","variables":{"id":"gid://shopify/Order/1"}}`
	for _, tc := range []struct {
		name       string
		method     string
		path       string
		token      string
		body       string
		wantStatus int
		wantBody   string // a part of the answer
		failsTest  bool
	}{
		{"a known query", "POST", "/admin/api/2026-10/graphql.json", "tok", good, 200, `"order":null`, false},
		{"GET", "GET", "/admin/api/2026-10/graphql.json", "tok", "", 405, "Method Not Allowed", false},
		{"another version", "POST", "/admin/api/2025-10/graphql.json", "tok", good, 404, "Not Found", false},
		{"wrong token", "POST", "/admin/api/2026-10/graphql.json", "other", good, 401, "Invalid API key", false},
		{"unknown root field", "POST", "/admin/api/2026-10/graphql.json", "tok", `{"query":"query X { shop { name } }"}`, 200, "doesn't exist", true},
		{"anonymous query", "POST", "/admin/api/2026-10/graphql.json", "tok", `{"query":"{ order(id: \"gid://shopify/Order/1\") { id } }"}`, 200, "Parse error", true},
		{"a variable too many", "POST", "/admin/api/2026-10/graphql.json", "tok",
			`{"query":"query OrderCancelled($id: ID!) { order(id: $id) { id } }","variables":{"id":"gid://shopify/Order/1","first":3}}`, 200, "INVALID_VARIABLE", true},
		{"a REST id where a gid belongs", "POST", "/admin/api/2026-10/graphql.json", "tok",
			`{"query":"query OrderCancelled($id: ID!) { order(id: $id) { id } }","variables":{"id":"1"}}`, 200, "INVALID_VARIABLE", true},
		{"a mutation sent as a query", "POST", "/admin/api/2026-10/graphql.json", "tok",
			`{"query":"query T($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags) { userErrors { message } } }","variables":{"id":"gid://shopify/Order/1","tags":["x"]}}`, 200, "doesn't exist", true},
		{"stock without an idempotency key", "POST", "/admin/api/2026-10/graphql.json", "tok",
			`{"query":"mutation A($input: InventoryAdjustQuantitiesInput!, $key: String!) { inventoryAdjustQuantities(input: $input) { userErrors { message } } }",` +
				`"variables":{"key":"k","input":{"name":"available","reason":"received","changes":[]}}}`, 200, "idempotent", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			s := shopifytest.New(rec, "tok")
			req, err := http.NewRequest(tc.method, s.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Shopify-Access-Token", tc.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus || !strings.Contains(string(body), tc.wantBody) {
				t.Errorf("answer: got %d %s, want %d containing %q", resp.StatusCode, body, tc.wantStatus, tc.wantBody)
			}
			if failed := len(rec.errs) > 0; failed != tc.failsTest {
				t.Errorf("test failed by the fake: got %v (%q), want %v", failed, rec.errs, tc.failsTest)
			}
		})
	}
}

func TestFaultsAreConsumedInOrderAndChangeNothing(t *testing.T) {
	s := shopifytest.New(t, "tok")
	s.AddOrder(shopifytest.Order{ID: "1", Lines: []shopifytest.LineItem{{ID: "2", VariantID: "3", Quantity: 1}}})
	s.Fail("tagsAdd", 2, shopifytest.Status500)
	const add = `{"query":"mutation TagsAdd($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags) { userErrors { message } } }","variables":{"id":"gid://shopify/Order/1","tags":["backordered"]}}`
	var statuses []int
	for range 3 {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/admin/api/2026-10/graphql.json", strings.NewReader(add))
		req.Header.Set("X-Shopify-Access-Token", "tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		statuses = append(statuses, resp.StatusCode)
		if o, _ := s.Order("1"); len(statuses) < 3 && len(o.Tags) != 0 {
			t.Errorf("tags after failure %d: got %v, want none", len(statuses), o.Tags)
		}
	}
	if want := []int{500, 500, 200}; fmt.Sprint(statuses) != fmt.Sprint(want) {
		t.Errorf("statuses: got %v, want %v", statuses, want)
	}
	o, _ := s.Order("1")
	if len(o.Tags) != 1 || !o.UpdatedAt.Equal(s.Now()) {
		t.Errorf("after the third: got tags %v updated %v, want [backordered] updated at the fake's clock %v", o.Tags, o.UpdatedAt, s.Now())
	}
	if n := len(s.Mutations()); n != 3 {
		t.Errorf("recorded mutations: got %d, want 3 (failed ones too)", n)
	}
}

func TestAnIdempotencyKeyAddsOnceAndOnlyForItsInput(t *testing.T) {
	rec := &recorder{TB: t}
	s := shopifytest.New(rec, "tok")
	s.AddProduct(shopifytest.Product{ID: "1", Variants: []shopifytest.Variant{{ID: "2", InventoryItemID: "3"}}})
	s.SetLevel("3", "4", 10, time.Time{})
	adjust := func(delta int) string {
		body := fmt.Sprintf(`{"query":"mutation A($input: InventoryAdjustQuantitiesInput!, $key: String!) { inventoryAdjustQuantities(input: $input) @idempotent(key: $key) { userErrors { message } } }",`+
			`"variables":{"key":"receipt-1","input":{"name":"available","reason":"received","changes":[{"inventoryItemId":"gid://shopify/InventoryItem/3","locationId":"gid://shopify/Location/4","delta":%d,"changeFromQuantity":null}]}}}`, delta)
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/admin/api/2026-10/graphql.json", strings.NewReader(body))
		req.Header.Set("X-Shopify-Access-Token", "tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	for i, tc := range []struct {
		delta     int
		want      int
		wantError bool
	}{
		{5, 15, false},
		{5, 15, false}, // the same receipt again
		{6, 15, true},  // the same key for another receipt
	} {
		answer := adjust(tc.delta)
		l, _ := s.Level("3", "4")
		if l.Available != tc.want {
			t.Errorf("call %d: available got %d, want %d", i+1, l.Available, tc.want)
		}
		if got := strings.Contains(answer, `"errors"`); got != tc.wantError {
			t.Errorf("call %d: answer %s: error got %v, want %v", i+1, answer, got, tc.wantError)
		}
		if got := len(rec.errs) > 0; got != tc.wantError {
			t.Errorf("call %d: test failed by the fake: got %v, want %v", i+1, got, tc.wantError)
		}
	}
}
