package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backorderd/backorderd/config"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func TestAShopFromTheEnvironmentSendsFromEmailFrom(t *testing.T) {
	t.Chdir(t.TempDir())
	var mu sync.Mutex
	var froms, replyTos []string
	sg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct {
			From    struct{ Email string } `json:"from"`
			ReplyTo struct{ Email string } `json:"reply_to"`
		}
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &m)
		mu.Lock()
		froms, replyTos = append(froms, m.From.Email), append(replyTos, m.ReplyTo.Email)
		mu.Unlock()
		w.Header().Set("X-Message-Id", "msg-1")
		w.WriteHeader(http.StatusAccepted)
	}))
	defer sg.Close()
	p := start(t, []string{"run"}, map[string]string{
		"WOOCOMMERCE_STORE_URL": wooURL, "WOOCOMMERCE_WEBHOOK_SECRET": wooSecret, "SETTLE_QUIET": "0s",
		"SENDGRID_API_KEY": "SG.test", "SENDGRID_API_URL": sg.URL,
		"EMAIL_FROM": "Larchwood <shop@larchwood-goods.example>", "EMAIL_REPLY_TO": "help@larchwood-goods.example",
	})
	p.waitReady(t)
	for _, name := range []string{"woocommerce/order-created", "woocommerce/product-updated-variation"} {
		if resp := postFixture(t, p.addr, name); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s answered %d", name, resp.StatusCode)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(froms)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("SendGrid got no message within 20s:\n%s", p.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if froms[0] != "shop@larchwood-goods.example" || replyTos[0] != "help@larchwood-goods.example" {
		t.Fatalf("sent from %q, reply-to %q; want EMAIL_FROM and EMAIL_REPLY_TO", froms[0], replyTos[0])
	}
}

func TestShopsWithoutASenderAreWarnedOfAndTheirHeldMailGoesOnceOneIsSet(t *testing.T) {
	_, dsn := storetest.DSN(t, store.SQLite)
	st, err := store.Open(string(store.SQLite), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	cfg := config.Config{WooCommerceStoreURL: wooURL, WooCommerceWebhookSecret: wooSecret, SendGridAPIKey: "SG.test"}
	if err := registerEnvShops(ctx, cfg, st, log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "no sender") || !strings.Contains(logs.String(), "EMAIL_FROM") {
		t.Errorf("no warning of a shop without a sender:\n%s", logs.String())
	}
	shop, err := st.ShopByDomain(ctx, store.WooCommerce, wooURL)
	if err != nil {
		t.Fatal(err)
	}
	pending := func(id int64) bool {
		e, err := st.Email(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return e.Status == store.EmailPending
	}

	// The environment sets the sender: held mail is queued again.
	first := heldEmail(t, st, shop.ID)
	cfg.EmailFrom, cfg.MerchantEmail = "shop@larchwood-goods.example", "owner@larchwood-goods.example"
	if err := registerEnvShops(ctx, cfg, st, log); err != nil {
		t.Fatal(err)
	}
	if shop, _ = st.Shop(ctx, shop.ID); shop.FromEmail != cfg.EmailFrom || shop.MerchantEmail != cfg.MerchantEmail {
		t.Fatalf("shop = %+v, want the environment's sender and merchant", shop)
	}
	tasks, err := st.UnfinishedOutbox(ctx, time.Now().Add(time.Hour), 0, 10)
	if err != nil || len(tasks) != 1 || !pending(first) {
		t.Fatalf("after EMAIL_FROM: %d send tasks (%v), email pending %v; want one, pending", len(tasks), err, pending(first))
	}

	// shop set --from does the same.
	shop.FromEmail = ""
	if _, err := st.UpdateShop(ctx, shop); err != nil {
		t.Fatal(err)
	}
	second := heldEmail(t, st, shop.ID)
	var out bytes.Buffer
	getenv := func(k string) string { return map[string]string{"DATABASE_URL": "sqlite:" + dsn}[k] }
	if err := run(ctx, []string{"shop", "set", strconv.FormatInt(shop.ID, 10), "--from", "shop@larchwood-goods.example"}, getenv, &out, &out); err != nil {
		t.Fatalf("shop set --from: %v", err)
	}
	if !pending(second) || !strings.Contains(out.String(), "1 held email") {
		t.Fatalf("after shop set --from: pending %v, output %q; want the held email queued and said so", pending(second), out.String())
	}
}
