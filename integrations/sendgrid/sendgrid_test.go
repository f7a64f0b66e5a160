package sendgrid

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// sent is the part of SendGrid's v3 mail/send body the tests check.
type sent struct {
	From             struct{ Email, Name string }
	ReplyTo          *struct{ Email string } `json:"reply_to"`
	Subject          string
	TemplateID       string `json:"template_id"`
	Personalizations []struct {
		To                  []struct{ Email, Name string }
		DynamicTemplateData map[string]any `json:"dynamic_template_data"`
	}
	Content     []struct{ Type, Value string }
	Categories  []string
	CustomArgs  map[string]string `json:"custom_args"`
	Attachments []struct{ Content, Type, Filename, Disposition string }
}

func fake(t *testing.T, status int, headers map[string]string, got *sent) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v3/mail/send" || r.Method != http.MethodPost {
			t.Errorf("request %s %s, want POST /v3/mail/send", r.Method, r.URL.Path)
		}
		if r.Header.Get("Authorization") != "Bearer SG.test" {
			t.Errorf("authorization = %q", r.Header.Get("Authorization"))
		}
		b, _ := io.ReadAll(r.Body)
		if got != nil {
			if err := json.Unmarshal(b, got); err != nil {
				t.Errorf("body is not JSON: %v", err)
			}
		}
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		if status >= 400 {
			_, _ = w.Write([]byte(`{"errors":[{"message":"the from address does not match a verified Sender Identity"}]}`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSendPostsBothPartsFromTheShop(t *testing.T) {
	var got sent
	srv := fake(t, http.StatusAccepted, map[string]string{"X-Message-Id": "msg-123"}, &got)
	c := New("SG.test", srv.URL, 5*time.Second)
	id, err := c.Send(context.Background(), Mail{FromEmail: "shop@example.com", FromName: "Harbor & Kiln",
		ReplyTo: "orders@example.com", ToEmail: "wren@example.net", ToName: "Wren", Subject: "Your order #2417",
		Text: "plain", HTML: "<p>html</p>", Categories: []string{"backorderd", "backordered"},
		CustomArgs:  map[string]string{"email_id": "7"},
		Attachments: []Attachment{{Filename: "purchase-order-42.csv", Type: "text/csv", Content: []byte("sku,quantity\r\nHK-1,24\r\n")}}})
	if err != nil || id != "msg-123" {
		t.Fatalf("Send = %q, %v; want msg-123", id, err)
	}
	if got.From.Email != "shop@example.com" || got.From.Name != "Harbor & Kiln" || got.ReplyTo == nil ||
		got.ReplyTo.Email != "orders@example.com" || got.Subject != "Your order #2417" {
		t.Errorf("from/reply-to/subject = %+v", got)
	}
	if len(got.Personalizations) != 1 || got.Personalizations[0].To[0].Email != "wren@example.net" {
		t.Errorf("to = %+v", got.Personalizations)
	}
	if len(got.Content) != 2 || got.Content[0].Type != "text/plain" || got.Content[1].Type != "text/html" ||
		got.Content[1].Value != "<p>html</p>" {
		t.Errorf("content = %+v, want text then html", got.Content)
	}
	if got.CustomArgs["email_id"] != "7" || len(got.Categories) != 2 {
		t.Errorf("categories/custom args = %v %v", got.Categories, got.CustomArgs)
	}
	if len(got.Attachments) != 1 {
		t.Fatalf("attachments = %+v, want the CSV", got.Attachments)
	}
	a := got.Attachments[0]
	if content, err := base64.StdEncoding.DecodeString(a.Content); err != nil || string(content) != "sku,quantity\r\nHK-1,24\r\n" {
		t.Errorf("attachment content = %q (%v), want the CSV in base64", a.Content, err)
	}
	if a.Type != "text/csv" || a.Filename != "purchase-order-42.csv" || a.Disposition != "attachment" {
		t.Errorf("attachment = %+v, want text/csv purchase-order-42.csv as an attachment", a)
	}
}

func TestSendWithADynamicTemplate(t *testing.T) {
	var got sent
	srv := fake(t, http.StatusAccepted, nil, &got)
	_, err := New("SG.test", srv.URL, time.Second).Send(context.Background(), Mail{FromEmail: "s@example.com",
		ToEmail: "c@example.net", TemplateID: "d-abc", TemplateData: map[string]any{"order_name": "#2417"}})
	if err != nil {
		t.Fatal(err)
	}
	if got.TemplateID != "d-abc" || got.Personalizations[0].DynamicTemplateData["order_name"] != "#2417" || len(got.Content) != 0 {
		t.Errorf("template send = %+v", got)
	}
}

func TestErrorsSayWhetherToRetry(t *testing.T) {
	reset := time.Now().Add(3 * time.Second).Unix()
	tests := []struct {
		status    int
		headers   map[string]string
		permanent bool
		account   bool
		waits     bool
	}{
		{http.StatusBadRequest, nil, true, false, false},
		// 401 and 403 describe the account (credits, key, sender), not
		// the message: it goes once the account is fixed.
		{http.StatusUnauthorized, nil, false, true, false},
		{http.StatusForbidden, nil, false, true, false},
		{http.StatusRequestEntityTooLarge, nil, true, false, false},
		{http.StatusTooManyRequests, map[string]string{"X-RateLimit-Reset": strconv.FormatInt(reset, 10)}, false, false, true},
		{http.StatusInternalServerError, nil, false, false, false},
		{http.StatusServiceUnavailable, nil, false, false, false},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			srv := fake(t, tt.status, tt.headers, nil)
			_, err := New("SG.test", srv.URL, time.Second).Send(context.Background(), Mail{FromEmail: "s@example.com", ToEmail: "c@example.net"})
			if err == nil {
				t.Fatal("no error")
			}
			if IsPermanent(err) != tt.permanent {
				t.Errorf("permanent = %v, want %v (%v)", IsPermanent(err), tt.permanent, err)
			}
			if IsAccount(err) != tt.account {
				t.Errorf("account = %v, want %v (%v)", IsAccount(err), tt.account, err)
			}
			if Unknown(err) {
				t.Errorf("an answer from SendGrid (%v) left the outcome unknown", err)
			}
			if d := RetryAfter(err); tt.waits != (d > 0) || d > 4*time.Second {
				t.Errorf("retry after = %v", d)
			}
		})
	}
}

func TestATimeoutAfterTheRequestWentIsAnUnknownOutcome(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { time.Sleep(500 * time.Millisecond) }))
	defer slow.Close()
	_, err := New("SG.test", slow.URL, 50*time.Millisecond).Send(context.Background(), Mail{FromEmail: "s@example.com", ToEmail: "c@example.net"})
	if err == nil || IsPermanent(err) || IsAccount(err) {
		t.Fatalf("timeout = %v, want a retryable error", err)
	}
	if !Unknown(err) {
		t.Fatalf("a timeout after the request was sent = %v, want an unknown outcome", err)
	}
}

func TestARequestThatNeverLeftIsKnownNotAccepted(t *testing.T) {
	gone := httptest.NewServer(http.NotFoundHandler())
	url := gone.URL
	gone.Close() // nothing listens there now: the dial fails
	_, err := New("SG.test", url, time.Second).Send(context.Background(), Mail{FromEmail: "s@example.com", ToEmail: "c@example.net"})
	if err == nil || IsPermanent(err) {
		t.Fatalf("dial error = %v, want a retryable error", err)
	}
	if Unknown(err) {
		t.Fatalf("a request that never reached SendGrid (%v) is an unknown outcome", err)
	}
}
