package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
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
