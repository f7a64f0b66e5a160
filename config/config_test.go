package config_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/config"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestDefaults(t *testing.T) {
	c, err := config.Load(env(nil))
	if err != nil {
		t.Fatalf("Load with nothing set: %v", err)
	}
	if c.HTTPAddr != ":8080" || c.LogFormat != "json" || c.WorkerConcurrency != 10 ||
		c.ShutdownGrace != 25*time.Second || c.MaxBodyBytes != 10<<20 || !c.Embedded() ||
		c.ReorderInterval != 30*time.Minute {
		t.Errorf("defaults = %+v", c)
	}
}

func TestTheReorderIntervalGoesDownToOneSecondForTests(t *testing.T) {
	c, err := config.Load(env(map[string]string{"REORDER_INTERVAL": "1s"}))
	if err != nil || c.ReorderInterval != time.Second {
		t.Fatalf("REORDER_INTERVAL=1s: %v, %v", c.ReorderInterval, err)
	}
}

func TestMalformedValueNamesTheVariableOnOneLine(t *testing.T) {
	tests := []struct {
		name, key, value, want string
	}{
		{"database scheme", "DATABASE_URL", "mysql://x/y", "DATABASE_URL: must start with postgres://"},
		{"database no host", "DATABASE_URL", "postgres:///test", "DATABASE_URL: postgres URL has no host"},
		{"database no name", "DATABASE_URL", "postgres://localhost:5432", "DATABASE_URL: postgres URL has no database name"},
		{"database bad url", "DATABASE_URL", "postgres://a:b@[::1/x", "DATABASE_URL: not a valid URL"},
		{"redis scheme", "REDIS_URL", "http://localhost:6379", "REDIS_URL: must start with redis://"},
		{"redis bad db", "REDIS_URL", "redis://localhost:6379/notanumber", "REDIS_URL: not a valid Redis URL"},
		{"http addr", "HTTP_ADDR", "8080", "HTTP_ADDR:"},
		{"log format", "LOG_FORMAT", "xml", "LOG_FORMAT: \"xml\" is not one of json, text"},
		{"log level", "LOG_LEVEL", "loud", "LOG_LEVEL:"},
		{"concurrency", "WORKER_CONCURRENCY", "0", "WORKER_CONCURRENCY: \"0\" is not a whole number from 1 to 1000"},
		{"grace", "SHUTDOWN_GRACE", "soon", "SHUTDOWN_GRACE:"},
		{"admin token", "ADMIN_TOKEN", "short", "ADMIN_TOKEN: must be at least 16"},
		{"sendgrid url", "SENDGRID_API_URL", "api.sendgrid.com", "SENDGRID_API_URL:"},
		{"shopify pair", "SHOPIFY_SHOP_DOMAIN", "a.myshopify.com", "SHOPIFY_SHOP_DOMAIN: and SHOPIFY_WEBHOOK_SECRET"},
		{"woo pair", "WOOCOMMERCE_WEBHOOK_SECRET", "s", "WOOCOMMERCE_STORE_URL: and WOOCOMMERCE_WEBHOOK_SECRET"},
		{"body limit", "WEBHOOK_MAX_BODY_BYTES", "-1", "WEBHOOK_MAX_BODY_BYTES:"},
		{"sender", "EMAIL_FROM", "orders at example", "EMAIL_FROM: \"orders at example\" is not an email address"},
		{"reply-to", "EMAIL_REPLY_TO", "@example.com", "EMAIL_REPLY_TO: \"@example.com\" is not an email address"},
		{"merchant", "MERCHANT_EMAIL", "owner@", "MERCHANT_EMAIL: \"owner@\" is not an email address"},
		{"reorder too often", "REORDER_INTERVAL", "500ms", "REORDER_INTERVAL:"},
		{"reorder", "REORDER_INTERVAL", "often", "REORDER_INTERVAL:"},
		{"secrets key not base64", "SECRETS_KEY", "not base64!", "SECRETS_KEY: is not base64"},
		{"secrets key too short", "SECRETS_KEY", base64.StdEncoding.EncodeToString(make([]byte, 16)), "SECRETS_KEY: must be the base64 of exactly 32 bytes"},
		{"secrets key too long", "SECRETS_KEY", base64.StdEncoding.EncodeToString(make([]byte, 33)), "SECRETS_KEY: must be the base64 of exactly 32 bytes"},
		{"shopify app key alone", "SHOPIFY_API_KEY", "client-id", "SHOPIFY_API_KEY: and SHOPIFY_API_SECRET must be set together"},
		{"shopify app secret alone", "SHOPIFY_API_SECRET", "client-secret", "SHOPIFY_API_KEY: and SHOPIFY_API_SECRET must be set together"},
		{"shopify base not a URL", "SHOPIFY_API_BASE_URL", "shopify-proxy:8443", "SHOPIFY_API_BASE_URL:"},
		{"shopify base relative", "SHOPIFY_API_BASE_URL", "/admin", "SHOPIFY_API_BASE_URL: \"/admin\" is not an absolute http(s) URL"},
		{"public URL relative", "PUBLIC_URL", "backorderd.example.com", "PUBLIC_URL: \"backorderd.example.com\" is not an absolute http(s) URL"},
		{"public URL with query", "PUBLIC_URL", "https://backorderd.example.com/?x=1", "PUBLIC_URL: \"https://backorderd.example.com/?x=1\" has a query"},
		{"public URL plain http", "PUBLIC_URL", "http://backorderd.example.com", "PUBLIC_URL: \"http://backorderd.example.com\" is plain http"},
		{"reconcile too often", "RECONCILE_INTERVAL", "500ms", "RECONCILE_INTERVAL:"},
		{"reconcile interval", "RECONCILE_INTERVAL", "hourly", "RECONCILE_INTERVAL:"},
		{"lookback zero", "RECONCILE_LOOKBACK", "0s", "RECONCILE_LOOKBACK:"},
		{"lookback negative", "RECONCILE_LOOKBACK", "-1h", "RECONCILE_LOOKBACK:"},
		{"trusted proxy a name", "TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal", "TRUSTED_PROXIES: \"proxy.internal\" is not an IP address or CIDR range"},
		{"trusted proxy bad range", "TRUSTED_PROXIES", "10.0.0.0/33", "TRUSTED_PROXIES: \"10.0.0.0/33\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(env(map[string]string{tt.key: tt.value}))
			if err == nil {
				t.Fatalf("Load(%s=%q) succeeded, want an error", tt.key, tt.value)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error = %q, want it to contain %q", msg, tt.want)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error spans lines: %q", msg)
			}
		})
	}
}

// TestPeriodicIntervalsAreWholeSeconds: asynq's scheduler ticks in whole
// seconds and keeps a task's timeout and deadline in whole seconds, so an
// interval of a periodic task that is not a whole number of seconds stops
// start-up, naming its variable; whole seconds are taken.
func TestPeriodicIntervalsAreWholeSeconds(t *testing.T) {
	for _, tt := range []struct{ key, value string }{
		{"RELAY_INTERVAL", "500ms"},
		{"RELAY_INTERVAL", "1500ms"},
		{"FULL_CHECK_INTERVAL", "90.5s"},
		{"NOTICE_WINDOW", "15m0.25s"},
		{"REORDER_INTERVAL", "2.5s"},
		{"RECONCILE_INTERVAL", "1001ms"},
	} {
		_, err := config.Load(env(map[string]string{tt.key: tt.value}))
		if err == nil || !strings.Contains(err.Error(), tt.key+": ") {
			t.Errorf("Load(%s=%s) = %v, want an error naming %s", tt.key, tt.value, err, tt.key)
		}
	}
	c, err := config.Load(env(map[string]string{"RELAY_INTERVAL": "1s", "FULL_CHECK_INTERVAL": "90s",
		"NOTICE_WINDOW": "1m30s", "REORDER_INTERVAL": "2s", "RECONCILE_INTERVAL": "1000ms"}))
	if err != nil || c.RelayInterval != time.Second || c.FullCheckInterval != 90*time.Second ||
		c.NoticeWindow != 90*time.Second || c.ReorderInterval != 2*time.Second || c.ReconcileInterval != time.Second {
		t.Errorf("whole seconds: %+v, %v", c, err)
	}
}

func TestPasswordsNeverShow(t *testing.T) {
	c, err := config.Load(env(map[string]string{
		"DATABASE_URL":     "postgres://app:hunter2hunter2@db:5432/backorderd",
		"REDIS_URL":        "rediss://:redispass@cache:6380/2",
		"SENDGRID_API_KEY": "SG.secret",
		"ADMIN_TOKEN":      "0123456789abcdef0123",
	}))
	if err != nil {
		t.Fatal(err)
	}
	shown := fmt.Sprint(c.Summary()...)
	for _, secret := range []string{"hunter2hunter2", "redispass", "SG.secret", "0123456789abcdef0123"} {
		if strings.Contains(shown, secret) {
			t.Errorf("summary shows %q: %s", secret, shown)
		}
	}
	if !strings.Contains(shown, "db:5432/backorderd") {
		t.Errorf("summary lost the database host: %s", shown)
	}
	// A malformed URL with a password does not echo it either.
	_, err = config.Load(env(map[string]string{"DATABASE_URL": "postgres://app:hunter2@[::1/x"}))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error = %v, want one that hides the password", err)
	}
}

func TestAPasswordInAURLsQueryIsMaskedLikeOneBeforeTheHost(t *testing.T) {
	c, err := config.Load(env(map[string]string{
		"DATABASE_URL": "postgres://app@db:5432/backorderd?sslmode=verify-full&password=qpass-hunter2&sslpassword=keypass-hunter3",
	}))
	if err != nil {
		t.Fatal(err)
	}
	shown := fmt.Sprint(c.Summary()...)
	for _, secret := range []string{"qpass-hunter2", "keypass-hunter3"} {
		if strings.Contains(shown, secret) {
			t.Errorf("summary shows %q: %s", secret, shown)
		}
	}
	for _, kept := range []string{"db:5432/backorderd", "sslmode=verify-full", "password=", "sslpassword="} {
		if !strings.Contains(shown, kept) {
			t.Errorf("summary lost %q: %s", kept, shown)
		}
	}
}

func TestParseDatabaseURL(t *testing.T) {
	engine, dsn, err := config.ParseDatabaseURL("sqlite:/var/lib/backorderd/db.sqlite")
	if err != nil || engine != "sqlite" || dsn != "/var/lib/backorderd/db.sqlite" {
		t.Errorf("sqlite: = %q %q %v", engine, dsn, err)
	}
	engine, _, err = config.ParseDatabaseURL("postgresql://u@h/db?sslmode=disable")
	if err != nil || engine != "postgres" {
		t.Errorf("postgresql:// = %q %v", engine, err)
	}
}

func TestSenderAddressesKeepTheAddressAlone(t *testing.T) {
	c, err := config.Load(env(map[string]string{"EMAIL_FROM": "Harbor & Kiln <shop@example.com>",
		"EMAIL_REPLY_TO": "orders@example.com", "MERCHANT_EMAIL": " owner@example.com "}))
	if err != nil {
		t.Fatal(err)
	}
	if c.EmailFrom != "shop@example.com" || c.EmailReplyTo != "orders@example.com" || c.MerchantEmail != "owner@example.com" {
		t.Errorf("addresses = %q, %q, %q", c.EmailFrom, c.EmailReplyTo, c.MerchantEmail)
	}
}

func TestStoreAPISettingsHaveDefaultsAndAcceptWhatTheyShould(t *testing.T) {
	key := bytes.Repeat([]byte{0xfb}, 32) // 0xfb encodes to + and / in standard base64, - and _ in URL base64
	tests := []struct {
		name string
		vars map[string]string
		want func(config.Config) bool
	}{
		{"defaults", nil, func(c config.Config) bool {
			return c.SecretsKey == nil && c.ReconcileInterval == 10*time.Minute && c.ReconcileLookback == 24*time.Hour &&
				c.PublicURL == "" && c.ShopifyAPIBaseURL == "" && !c.OAuthInstall()
		}},
		{"standard base64 key", map[string]string{"SECRETS_KEY": base64.StdEncoding.EncodeToString(key)},
			func(c config.Config) bool { return bytes.Equal(c.SecretsKey, key) }},
		{"URL base64 key without padding", map[string]string{"SECRETS_KEY": base64.RawURLEncoding.EncodeToString(key)},
			func(c config.Config) bool { return bytes.Equal(c.SecretsKey, key) }},
		{"public URL loses its trailing slash", map[string]string{"PUBLIC_URL": "https://backorderd.example.com/"},
			func(c config.Config) bool { return c.PublicURL == "https://backorderd.example.com" }},
		{"plain http on localhost", map[string]string{"PUBLIC_URL": "http://localhost:8080"},
			func(c config.Config) bool { return c.PublicURL == "http://localhost:8080" }},
		{"plain http on loopback", map[string]string{"PUBLIC_URL": "http://127.0.0.1:8080/backorderd"},
			func(c config.Config) bool { return c.PublicURL == "http://127.0.0.1:8080/backorderd" }},
		{"plain http base for a test fake", map[string]string{"SHOPIFY_API_BASE_URL": "http://fake-shopify.internal:9000"},
			func(c config.Config) bool { return c.ShopifyAPIBaseURL == "http://fake-shopify.internal:9000" }},
		{"reconcile down to a second", map[string]string{"RECONCILE_INTERVAL": "1s", "RECONCILE_LOOKBACK": "72h"},
			func(c config.Config) bool {
				return c.ReconcileInterval == time.Second && c.ReconcileLookback == 72*time.Hour
			}},
		{"install needs the app, a public URL and a key", map[string]string{"SHOPIFY_API_KEY": "id", "SHOPIFY_API_SECRET": "s",
			"PUBLIC_URL": "https://b.example", "SECRETS_KEY": base64.StdEncoding.EncodeToString(key)},
			func(c config.Config) bool { return c.OAuthInstall() }},
		{"install without a key is off", map[string]string{"SHOPIFY_API_KEY": "id", "SHOPIFY_API_SECRET": "s",
			"PUBLIC_URL": "https://b.example"},
			func(c config.Config) bool { return !c.OAuthInstall() }},
		{"no trusted proxy by default, the login cookie Secure only over https", map[string]string{},
			func(c config.Config) bool { return c.TrustedProxies == nil && !c.SecureCookies() }},
		{"trusted proxies", map[string]string{"TRUSTED_PROXIES": " 10.0.0.0/8,192.0.2.7 ,, 2001:db8::/32"},
			func(c config.Config) bool {
				return fmt.Sprint(c.TrustedProxies) == "[10.0.0.0/8 192.0.2.7 2001:db8::/32]"
			}},
		{"an https public URL makes the login cookie Secure", map[string]string{"PUBLIC_URL": "https://b.example"},
			func(c config.Config) bool { return c.SecureCookies() }},
		{"a plain http one on localhost does not", map[string]string{"PUBLIC_URL": "http://localhost:8080"},
			func(c config.Config) bool { return !c.SecureCookies() }},
		{"install without a public URL is off", map[string]string{"SHOPIFY_API_KEY": "id", "SHOPIFY_API_SECRET": "s",
			"SECRETS_KEY": base64.StdEncoding.EncodeToString(key)},
			func(c config.Config) bool { return !c.OAuthInstall() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(env(tt.vars))
			if err != nil {
				t.Fatalf("Load(%v) = %v, want no error", tt.vars, err)
			}
			if !tt.want(c) {
				t.Errorf("Load(%v) = %+v, not what the case wants", tt.vars, c)
			}
		})
	}
}

func TestTheSecretsKeyAndTheAppSecretNeverShow(t *testing.T) {
	raw := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	c, err := config.Load(env(map[string]string{"SECRETS_KEY": raw, "SHOPIFY_API_KEY": "client-id-1",
		"SHOPIFY_API_SECRET": "shpss_app-secret-hunter2"}))
	if err != nil {
		t.Fatal(err)
	}
	shown := fmt.Sprint(c.Summary()...)
	for _, secret := range []string{raw, "0123456789abcdef", "shpss_app-secret-hunter2"} {
		if strings.Contains(shown, secret) {
			t.Errorf("summary shows %q: %s", secret, shown)
		}
	}
	if !strings.Contains(shown, "SECRETS_KEY****") || !strings.Contains(shown, "client-id-1") {
		t.Errorf("summary = %s, want SECRETS_KEY masked as **** and the app's client id shown", shown)
	}
	// A key of the wrong length is refused without being echoed.
	short := base64.StdEncoding.EncodeToString([]byte("hunter2-hunter2"))
	_, err = config.Load(env(map[string]string{"SECRETS_KEY": short}))
	if err == nil || strings.Contains(err.Error(), short) || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error = %v, want a refusal that does not show the key", err)
	}
}
