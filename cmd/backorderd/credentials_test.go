package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
)

// sealedShopDB is a SQLite database whose one shop has store credentials
// sealed with key; it returns its DATABASE_URL.
func sealedShopDB(t *testing.T, key []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sealed.db")
	st, err := store.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	shop, err := st.AddShop(ctx, store.NewShop(store.Shopify, shopDomain, shopifySecret))
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := store.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetCredentials(ctx, sealer, shop.ID, store.Credentials{ShopifyToken: "shpat_startup"}); err != nil {
		t.Fatal(err)
	}
	return "sqlite:" + path
}

func TestEveryRoleRefusesToStartWithCredentialsItCannotOpen(t *testing.T) {
	t.Chdir(t.TempDir())
	key, other := bytes.Repeat([]byte{7}, 32), bytes.Repeat([]byte{8}, 32)
	dbURL := sealedShopDB(t, key)
	_, redisAt := testRedis(t)
	tests := []struct {
		name, secretsKey, want string
	}{
		{"no key", "", "1 shop(s) have store credentials but SECRETS_KEY is not set"},
		{"another key", base64.StdEncoding.EncodeToString(other), "SECRETS_KEY cannot open the shops' store credentials"},
	}
	for _, role := range []string{"run", "serve", "work"} {
		for _, tt := range tests {
			t.Run(role+" "+tt.name, func(t *testing.T) {
				env := map[string]string{"DATABASE_URL": dbURL, "REDIS_URL": redisAt}
				if tt.secretsKey != "" {
					env["SECRETS_KEY"] = tt.secretsKey
				}
				out, err := runFor(t, 10*time.Second, []string{role}, env)
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("%s = %v, want an error containing %q\n%s", role, err, tt.want, out)
				}
				if strings.Contains(err.Error()+out, "shpat_startup") {
					t.Errorf("the refusal shows the token:\n%v\n%s", err, out)
				}
			})
		}
	}
	t.Run("the key that sealed them", func(t *testing.T) {
		p := start(t, []string{"serve"}, map[string]string{"DATABASE_URL": dbURL, "REDIS_URL": redisAt,
			"SECRETS_KEY": base64.StdEncoding.EncodeToString(key)})
		p.waitReady(t)
		if logs := p.stderr.String(); strings.Contains(logs, "shpat_startup") || strings.Contains(logs, base64.StdEncoding.EncodeToString(key)) {
			t.Errorf("logs show the token or the key:\n%s", logs)
		}
	})
}

func TestTheShopifyInstallIsServedOnlyWithTheAppAPublicURLAndAKey(t *testing.T) {
	app := map[string]string{"SHOPIFY_API_KEY": "client-id", "SHOPIFY_API_SECRET": "app-secret",
		"PUBLIC_URL": "https://backorderd.example", "SECRETS_KEY": base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{3}, 32))}
	without := func(name string) map[string]string {
		env := map[string]string{}
		for k, v := range app {
			if k != name {
				env[k] = v
			}
		}
		return env
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tests := []struct {
		name     string
		env      map[string]string
		want     int
		wantLogs string
	}{
		{"all set", without(""), http.StatusFound, "Shopify app install is on"},
		{"no key", without("SECRETS_KEY"), http.StatusNotFound, "Shopify app install is off"},
		{"no public URL", without("PUBLIC_URL"), http.StatusNotFound, "Shopify app install is off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			p := start(t, []string{"run"}, tt.env)
			p.waitReady(t)
			resp, err := noRedirect.Get("http://" + p.addr + "/shopify/install?shop=" + shopDomain)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("GET /shopify/install answered %d, want %d", resp.StatusCode, tt.want)
			}
			if tt.want == http.StatusFound && !strings.Contains(resp.Header.Get("Location"), "https://"+shopDomain+"/admin/oauth/authorize?") {
				t.Errorf("redirect to %q, want the shop's authorize page", resp.Header.Get("Location"))
			}
			if logs := p.stderr.String(); !strings.Contains(logs, tt.wantLogs) || strings.Contains(logs, "app-secret") {
				t.Errorf("logs lack %q or show the app's secret:\n%s", tt.wantLogs, logs)
			}
		})
	}
}
