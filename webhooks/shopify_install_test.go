package webhooks_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/api"
	"github.com/backorderd/backorderd/integrations/shopify"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
	"github.com/backorderd/backorderd/webhooks"
)

const (
	appKey       = "app-client-id"
	appSecret    = "app-secret-do-not-use"
	publicURL    = "https://backorderd.example"
	grantedToken = "shpua_installed-token-do-not-log"
	installShop  = "new-install.myshopify.com"
)

// installRig is the install mounted as served (request log included), a
// fake Shopify token endpoint, and what the install asked to connect.
type installRig struct {
	store     *store.Store
	sealer    *store.Sealer
	handler   http.Handler
	log       *bytes.Buffer
	exchanges atomic.Int32
	mu        sync.Mutex
	connected []int64
	refuse    bool // the token endpoint refuses the code
}

func newInstallRig(t *testing.T) *installRig {
	t.Helper()
	rig := &installRig{store: storetest.New(t, store.SQLite), log: &bytes.Buffer{}}
	var err error
	if rig.sealer, err = store.NewSealer(bytes.Repeat([]byte{5}, 32)); err != nil {
		t.Fatal(err)
	}
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rig.exchanges.Add(1)
		var got map[string]string
		if r.Method != http.MethodPost || r.URL.Path != "/admin/oauth/access_token" || json.NewDecoder(r.Body).Decode(&got) != nil {
			t.Errorf("token request = %s %s, want a JSON POST to /admin/oauth/access_token", r.Method, r.URL.Path)
		}
		if got["client_id"] != appKey || got["client_secret"] != appSecret || got["code"] != "code-1" {
			t.Errorf("token request = %v, want the app's client id and secret and the callback's code", got)
		}
		if rig.refuse {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_request","error_description":"code already used"}`))
			return
		}
		_, _ = w.Write([]byte(`{"access_token":"` + grantedToken + `","scope":"` + shopify.Scopes + `"}`))
	}))
	t.Cleanup(fake.Close)
	connect := func(_ context.Context, shopID int64) error {
		rig.mu.Lock()
		defer rig.mu.Unlock()
		rig.connected = append(rig.connected, shopID)
		return nil
	}
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(api.RequestLog(slog.New(slog.NewJSONHandler(rig.log, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	webhooks.NewShopifyInstall(rig.store, webhooks.ShopifyApp{APIKey: appKey, APISecret: appSecret, PublicURL: publicURL,
		APIBaseURL: fake.URL}, rig.sealer, connect, fake.Client()).Mount(r)
	rig.handler = r
	return rig
}

func (rig *installRig) get(path string, q url.Values) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	rig.handler.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path+"?"+q.Encode(), nil))
	return w
}

// install starts an install for shop and returns the state Shopify would
// bring back.
func (rig *installRig) install(t *testing.T, shop string) string {
	t.Helper()
	w := rig.get("/shopify/install", url.Values{"shop": {shop}})
	if w.Code != http.StatusFound {
		t.Fatalf("install answered %d %s, want 302", w.Code, w.Body)
	}
	loc, err := url.Parse(w.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc.Query().Get("state")
}

// signed is the callback query Shopify would send, signed with secret.
func signed(secret string, q url.Values) url.Values {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = k + "=" + q.Get(k)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strings.Join(pairs, "&")))
	out := url.Values{"hmac": {hex.EncodeToString(mac.Sum(nil))}}
	for k, v := range q {
		out[k] = v
	}
	return out
}

func callbackFor(shop, state string) url.Values {
	return url.Values{"code": {"code-1"}, "shop": {shop}, "state": {state}, "timestamp": {"1764590000"},
		"host": {"YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvbmV3LWluc3RhbGw"}}
}

func (rig *installRig) connects() []int64 {
	rig.mu.Lock()
	defer rig.mu.Unlock()
	return append([]int64(nil), rig.connected...)
}

func TestAShopifyInstallEndsWithAConnectedShopAndItsSealedToken(t *testing.T) {
	rig := newInstallRig(t)
	w := rig.get("/shopify/install", url.Values{"shop": {installShop}})
	if w.Code != http.StatusFound {
		t.Fatalf("install answered %d, want 302", w.Code)
	}
	loc, _ := url.Parse(w.Header().Get("Location"))
	q := loc.Query()
	if !strings.HasPrefix(loc.String(), "http://127.0.0.1") || loc.Path != "/admin/oauth/authorize" ||
		q.Get("client_id") != appKey || q.Get("scope") != shopify.Scopes ||
		q.Get("redirect_uri") != publicURL+"/shopify/callback" || len(q.Get("state")) < 32 {
		t.Fatalf("redirect = %s, want SHOPIFY_API_BASE_URL/admin/oauth/authorize with the app, scopes, callback and a state", loc)
	}
	if other := rig.install(t, installShop); other == q.Get("state") {
		t.Error("two installs got the same state")
	}

	w = rig.get("/shopify/callback", signed(appSecret, callbackFor(installShop, q.Get("state"))))
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "backorderd is connected to "+installShop) {
		t.Fatalf("callback answered %d %s, want 200 saying the shop is connected", w.Code, w.Body)
	}
	ctx := context.Background()
	shop, err := rig.store.ShopByDomain(ctx, store.Shopify, installShop)
	if err != nil {
		t.Fatalf("no shop after the install: %v", err)
	}
	if shop.WebhookSecret != appSecret || shop.Status != store.ShopActive {
		t.Errorf("shop secret %q, status %s; want the app's secret (it signs the app's webhooks), active", shop.WebhookSecret, shop.Status)
	}
	creds, err := rig.store.Credentials(ctx, rig.sealer, shop.ID)
	if err != nil || creds.ShopifyToken != grantedToken {
		t.Errorf("credentials = %v, %v; want the granted token, sealed", creds, err)
	}
	if got := rig.connects(); len(got) != 1 || got[0] != shop.ID {
		t.Errorf("connect asked for %v, want [%d]", got, shop.ID)
	}

	// The same callback again (a replay, a double click) is refused, and
	// Shopify is not asked again.
	w = rig.get("/shopify/callback", signed(appSecret, callbackFor(installShop, q.Get("state"))))
	if w.Code != http.StatusUnauthorized || rig.exchanges.Load() != 1 || len(rig.connects()) != 1 {
		t.Errorf("replayed callback: %d, %d token requests, %d connects; want 401, 1, 1", w.Code, rig.exchanges.Load(), len(rig.connects()))
	}
	for _, secret := range []string{grantedToken, appSecret} {
		if strings.Contains(rig.log.String(), secret) {
			t.Errorf("the log shows %q:\n%s", secret, rig.log)
		}
	}
	if !strings.Contains(rig.log.String(), `"refused":"oauth state refused: already used"`) {
		t.Errorf("the log does not say why the replay was refused:\n%s", rig.log)
	}
}

func TestAShopifyCallbackIsRefusedUnlessShopifySignedItForAStateOfThatShop(t *testing.T) {
	tests := []struct {
		name  string
		query func(rig *installRig, t *testing.T) url.Values
		after time.Duration // the store's clock moved on before the callback
		want  int
	}{
		{"forged hmac", func(rig *installRig, t *testing.T) url.Values {
			return signed("not-the-app-secret", callbackFor(installShop, rig.install(t, installShop)))
		}, 0, http.StatusUnauthorized},
		{"parameter changed after signing", func(rig *installRig, t *testing.T) url.Values {
			q := signed(appSecret, callbackFor(installShop, rig.install(t, installShop)))
			q.Set("code", "code-2")
			return q
		}, 0, http.StatusUnauthorized},
		{"expired state", func(rig *installRig, t *testing.T) url.Values {
			return signed(appSecret, callbackFor(installShop, rig.install(t, installShop)))
		}, 11 * time.Minute, http.StatusUnauthorized},
		{"state of another shop", func(rig *installRig, t *testing.T) url.Values {
			return signed(appSecret, callbackFor("other-shop.myshopify.com", rig.install(t, installShop)))
		}, 0, http.StatusUnauthorized},
		{"unknown state", func(rig *installRig, t *testing.T) url.Values {
			return signed(appSecret, callbackFor(installShop, "made-up-state"))
		}, 0, http.StatusUnauthorized},
		{"signed shop that is not a shop domain", func(rig *installRig, t *testing.T) url.Values {
			return signed(appSecret, callbackFor("evil.example.com", rig.install(t, installShop)))
		}, 0, http.StatusBadRequest},
	}
	for _, name := range []string{"code", "shop", "state", "hmac"} {
		tests = append(tests, struct {
			name  string
			query func(rig *installRig, t *testing.T) url.Values
			after time.Duration
			want  int
		}{"missing " + name, func(rig *installRig, t *testing.T) url.Values {
			q := signed(appSecret, callbackFor(installShop, rig.install(t, installShop)))
			q.Del(name)
			return q
		}, 0, http.StatusBadRequest})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rig := newInstallRig(t)
			q := tt.query(rig, t)
			if tt.after > 0 {
				rig.store.SetClock(func() time.Time { return time.Now().Add(tt.after) })
			}
			w := rig.get("/shopify/callback", q)
			if w.Code != tt.want {
				t.Errorf("callback answered %d %s, want %d", w.Code, w.Body, tt.want)
			}
			if n := rig.exchanges.Load(); n != 0 {
				t.Errorf("Shopify was asked for a token %d time(s), want never", n)
			}
			shops, _ := rig.store.Shops(context.Background())
			if len(shops) != 0 || len(rig.connects()) != 0 {
				t.Errorf("a refused callback left %d shop(s) and %d connect(s), want none", len(shops), len(rig.connects()))
			}
		})
	}
}

func TestAForgedCallbackDoesNotUseUpTheMerchantsState(t *testing.T) {
	rig := newInstallRig(t)
	state := rig.install(t, installShop)
	if w := rig.get("/shopify/callback", signed("forged", callbackFor(installShop, state))); w.Code != http.StatusUnauthorized {
		t.Fatalf("forged callback answered %d, want 401", w.Code)
	}
	if w := rig.get("/shopify/callback", signed(appSecret, callbackFor(installShop, state))); w.Code != http.StatusOK {
		t.Errorf("the merchant's own callback after a forged one answered %d %s, want 200", w.Code, w.Body)
	}
}

func TestInstallRefusesWhatIsNotAShopDomainOrNotSignedByShopify(t *testing.T) {
	rig := newInstallRig(t)
	for _, tt := range []struct {
		name string
		q    url.Values
		want int
	}{
		{"no shop", url.Values{}, http.StatusBadRequest},
		{"another host", url.Values{"shop": {"evil.example.com"}}, http.StatusBadRequest},
		{"a URL", url.Values{"shop": {"https://" + installShop + "/admin"}}, http.StatusBadRequest},
		{"forged launch", signed("forged", url.Values{"shop": {installShop}, "timestamp": {"1"}}), http.StatusUnauthorized},
		{"signed launch", signed(appSecret, url.Values{"shop": {installShop}, "timestamp": {"1"}}), http.StatusFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if w := rig.get("/shopify/install", tt.q); w.Code != tt.want {
				t.Errorf("install?%s answered %d, want %d", tt.q.Encode(), w.Code, tt.want)
			}
		})
	}
}

func TestReinstallingReactivatesTheShopAndKeepsItsOldSecretAccepted(t *testing.T) {
	rig := newInstallRig(t)
	ctx := context.Background()
	old, err := rig.store.AddShop(ctx, store.NewShop(store.Shopify, installShop, "custom-app-secret"))
	if err != nil {
		t.Fatal(err)
	}
	if err := rig.store.SetCredentials(ctx, rig.sealer, old.ID, store.Credentials{ShopifyToken: "shpat_old"}); err != nil {
		t.Fatal(err)
	}
	if err := rig.store.InTx(ctx, func(tx *store.Tx) error { return tx.UninstallShop(ctx, old.ID) }); err != nil {
		t.Fatal(err)
	}
	if w := rig.get("/shopify/callback", signed(appSecret, callbackFor(installShop, rig.install(t, installShop)))); w.Code != http.StatusOK {
		t.Fatalf("callback answered %d %s, want 200", w.Code, w.Body)
	}
	shop, _ := rig.store.Shop(ctx, old.ID)
	if shop.Status != store.ShopActive || shop.WebhookSecret != appSecret || shop.WebhookSecretPrevious != "custom-app-secret" {
		t.Errorf("after reinstall: status %s, secret %q, previous %q; want active, the app's, the old one",
			shop.Status, shop.WebhookSecret, shop.WebhookSecretPrevious)
	}
	if creds, _ := rig.store.Credentials(ctx, rig.sealer, old.ID); creds.ShopifyToken != grantedToken {
		t.Errorf("token after reinstall = %v, want the new one", creds)
	}
	if shops, _ := rig.store.Shops(ctx); len(shops) != 1 {
		t.Errorf("%d shops after reinstall, want the one", len(shops))
	}
}

func TestAnInstallShopifyRefusesLeavesNoShop(t *testing.T) {
	rig := newInstallRig(t)
	rig.refuse = true
	w := rig.get("/shopify/callback", signed(appSecret, callbackFor(installShop, rig.install(t, installShop))))
	if w.Code != http.StatusBadGateway {
		t.Errorf("callback answered %d, want 502", w.Code)
	}
	if _, err := rig.store.ShopByDomain(context.Background(), store.Shopify, installShop); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("shop after a refused exchange: %v, want none", err)
	}
	if !strings.Contains(rig.log.String(), "invalid_request: code already used") {
		t.Errorf("the log does not say what Shopify answered:\n%s", rig.log)
	}
}
