package woocommercetest

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// complaints is a testing.TB that records what the fake reports instead of
// failing the test, so the test can assert the fake complains.
type complaints struct {
	testing.TB
	mu   sync.Mutex
	said []string
}

func (c *complaints) Errorf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.said = append(c.said, fmt.Sprintf(format, args...))
}

func (c *complaints) all() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.said, "\n")
}

// send makes a Basic-authenticated request to the TLS fake.
func send(t *testing.T, s *Server, method, path, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL+apiRoot+path, strings.NewReader(body))
	if err != nil {
		t.Fatalf("build request: %v", err)
	}
	req.SetBasicAuth("ck", "cs")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestFakeRefusesAndReportsWhatAStoreWouldNotUnderstand(t *testing.T) {
	for _, tc := range []struct {
		name, method, path, body string
		wantStatus               int
		wantComplaint            string
	}{
		{"unknown route", "GET", "coupons", "", 404, "no such route"},
		{"unknown method", "PATCH", "orders/1", `{}`, 404, "method not allowed"},
		{"unknown query parameter", "GET", "orders?after=2025-01-01", "", 400, "query parameter after"},
		{"per_page over 100", "GET", "orders?per_page=101", "", 400, "query parameter per_page"},
		{"unknown body field", "PUT", "orders/1", `{"status":"on-hold","note":"x"}`, 400, `body field "note"`},
		{"refund amount as a number", "POST", "orders/1/refunds", `{"amount":10.5}`, 400, "is not a string"},
		{"unknown order status", "PUT", "orders/1", `{"status":"held"}`, 400, "not an order status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &complaints{TB: t}
			s := NewTLS(c, "ck", "cs")
			s.AddOrder(`{"id":1,"status":"processing","total":"20.00","line_items":[]}`)
			resp, _ := send(t, s, tc.method, tc.path, tc.body)
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status: got %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if got := c.all(); !strings.Contains(got, tc.wantComplaint) {
				t.Errorf("complaint: got %q, want one containing %q", got, tc.wantComplaint)
			}
		})
	}
}

func TestFakePagesAndFiltersByModifiedAfterInTheRightZone(t *testing.T) {
	s := NewTLS(t, "ck", "cs")
	for i := range 5 {
		s.AddOrder(fmt.Sprintf(`{"id":%d,"date_modified_gmt":"2025-11-18T1%d:00:00","date_modified":"2025-11-18T0%d:00:00"}`, 10+i, i, i+2))
	}
	for _, tc := range []struct {
		query          string
		wantTotal      string
		wantPages      string
		wantFirstOnPgN string
	}{
		{"orders?per_page=2&page=1&orderby=modified&order=asc", "5", "3", `"id":10`},
		{"orders?per_page=2&page=3&orderby=modified&order=asc", "5", "3", `"id":14`},
		{"orders?per_page=2&modified_after=2025-11-18T11:30:00&dates_are_gmt=true&orderby=modified&order=asc", "3", "2", `"id":12`},
		// Without dates_are_gmt the time is the site's (UTC-8): 03:30 there is 11:30 GMT.
		{"orders?per_page=2&modified_after=2025-11-18T03:30:00&orderby=modified&order=asc", "3", "2", `"id":12`},
	} {
		t.Run(tc.query, func(t *testing.T) {
			resp, body := send(t, s, "GET", tc.query, "")
			if resp.StatusCode != 200 || resp.Header.Get("X-WP-Total") != tc.wantTotal || resp.Header.Get("X-WP-TotalPages") != tc.wantPages {
				t.Errorf("got %d total %s pages %s, want 200 total %s pages %s", resp.StatusCode,
					resp.Header.Get("X-WP-Total"), resp.Header.Get("X-WP-TotalPages"), tc.wantTotal, tc.wantPages)
			}
			if i := strings.Index(body, `"id":`); i < 0 || !strings.HasPrefix(body[i:], tc.wantFirstOnPgN) {
				t.Errorf("first order: got %.60s, want %s", body, tc.wantFirstOnPgN)
			}
		})
	}
}
