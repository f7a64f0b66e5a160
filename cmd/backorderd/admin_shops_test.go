package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
)

func TestAShopCreatedOverTheAdminAPIReceivesDeliveriesSignedWithTheSecretItWasGiven(t *testing.T) {
	t.Chdir(t.TempDir())
	const token = "0123456789abcdef-admin-token"
	p := start(t, []string{"run"}, map[string]string{"ADMIN_TOKEN": token, "SETTLE_QUIET": "0s"})
	p.waitReady(t)

	req, _ := http.NewRequest(http.MethodPost, "http://"+p.addr+"/api/v1/shops", strings.NewReader(
		`{"platform": "woocommerce", "domain": "larchwood-goods.example", "name": "Larchwood Goods", "time_zone": "America/Toronto"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		WebhookSecret string `json:"webhook_secret"`
	}
	err = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusCreated || created.WebhookSecret == "" {
		t.Fatalf("create = %d, %v, secret %q; want 201 with the secret", resp.StatusCode, err, created.WebhookSecret)
	}

	body, err := os.ReadFile(filepath.Join(testdata, "woocommerce/order-created.json"))
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, []byte(created.WebhookSecret))
	mac.Write(body)
	signed := map[string]string{"X-WC-Webhook-Signature": base64.StdEncoding.EncodeToString(mac.Sum(nil))}
	// A receiver reads the shops table again at most once a second: a shop
	// just created is known within that.
	status := 0
	for deadline := time.Now().Add(5 * time.Second); status != http.StatusOK && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		status = postFixtureWith(t, p.addr, "woocommerce/order-created", signed).StatusCode
	}
	if status != http.StatusOK {
		t.Fatalf("delivery signed with the API's secret answered %d, want 200", status)
	}
	// The fixture's own signature is not this shop's.
	if resp := postFixture(t, p.addr, "woocommerce/order-created"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("delivery signed with another secret answered %d, want 401", resp.StatusCode)
	}
	waitInbox(t, "sqlite", "backorderd.db", 1, store.InboxProcessed)

	// The CLI reads the shop the API wrote, settings and all.
	out, err := shopCLI("list")
	if err != nil || !strings.Contains(out, "Larchwood Goods") || !strings.Contains(out, "America/Toronto") {
		t.Fatalf("shop list = %q, %v; want the shop the API created", out, err)
	}
}
