package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/api"
)

func TestADetailThatFailsIsShownButLeavesTheProcessReady(t *testing.T) {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	up := func(context.Context) error { return nil }
	refused := func(context.Context) error {
		return errors.New("SendGrid refuses the account: 401: Maximum credits exceeded")
	}
	api.MountHealth(r, api.Readiness{Checks: []api.Check{{Name: "database", Check: up}},
		Details: []api.Check{{Name: "sendgrid", Check: refused}}})
	rec := serve(r, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("readyz = %d, want 200: a mail problem must not take the process out of service", rec.Code)
	}
	var body struct {
		Status   string            `json:"status"`
		Checks   map[string]string `json:"checks"`
		Warnings []string          `json:"warnings"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body.Status != "ready" || len(body.Warnings) != 1 || body.Warnings[0] != "sendgrid" ||
		body.Checks["sendgrid"] != "SendGrid refuses the account: 401: Maximum credits exceeded" {
		t.Fatalf("readyz body = %s, want ready with the SendGrid account named", rec.Body)
	}
}

// A process that is not ready answers its probe 503 and says so in a
// warning line: the probe's answer is no error of the request, so a
// starting process does not log an error per probe.
func TestNotReadyIsAWarningInTheRequestLogNotAnError(t *testing.T) {
	gin.SetMode(gin.TestMode)
	var logs bytes.Buffer
	r := gin.New()
	r.Use(api.RequestLog(slog.New(slog.NewJSONHandler(&logs, nil))))
	down := func(context.Context) error { return errors.New("migrating") }
	api.MountHealth(r, api.Readiness{Checks: []api.Check{{Name: "database", Check: down}}})
	r.GET("/broken", func(c *gin.Context) { c.Status(http.StatusServiceUnavailable) })
	if rec := serve(r, httptest.NewRequest(http.MethodGet, "/readyz", nil)); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("readyz = %d, want 503", rec.Code)
	}
	serve(r, httptest.NewRequest(http.MethodGet, "/broken", nil))
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"level":"WARN"`) || !strings.Contains(lines[0], `"path":"/readyz"`) ||
		!strings.Contains(lines[1], `"level":"ERROR"`) {
		t.Fatalf("got log lines\n%s\nwant /readyz's 503 a warning, another route's 503 an error", logs.String())
	}
}
