package simulate

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeInstance stands in for backorderd where the tests need to control
// its answers: it checks each delivery's signature, answers 503 to the
// first attempt of each when asked to, keeps the items and levels the
// setup reports (so the setup is seen), and shows no backorders and no
// emails — an engine that did nothing.
type fakeInstance struct {
	t         *testing.T
	secret    string
	token     string
	first503  bool
	mu        sync.Mutex
	attempts  map[string]int // by event id
	badSigned int
	stockKeys map[string]string // variant → inventory item
	levels    map[string]int    // inventory item → available
}

func newFakeInstance(t *testing.T, first503 bool) (*fakeInstance, Target) {
	f := &fakeInstance{t: t, secret: "test-secret-do-not-use", token: "test-admin-token-0123456789",
		first503: first503, attempts: map[string]int{}, stockKeys: map[string]string{}, levels: map[string]int{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, Target{URL: srv.URL, AdminToken: f.token, ShopDomain: "fake-shop.myshopify.com", Secret: f.secret}
}

func (f *fakeInstance) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/webhooks/shopify":
		f.webhook(w, r)
	case r.Header.Get("Authorization") != "Bearer "+f.token:
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	case strings.HasPrefix(r.URL.Path, "/api/v1/items/"):
		f.item(w, strings.TrimPrefix(r.URL.Path, "/api/v1/items/"))
	case r.URL.Path == "/api/v1/backorders" || r.URL.Path == "/api/v1/emails":
		_, _ = io.WriteString(w, `{"items":[],"next_cursor":null}`)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeInstance) webhook(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	mac := hmac.New(sha256.New, []byte(f.secret))
	mac.Write(body)
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header.Get("X-Shopify-Hmac-Sha256") != base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
		f.badSigned++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	id := r.Header.Get("X-Shopify-Event-Id")
	f.attempts[id]++
	if f.first503 && f.attempts[id] == 1 {
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	var in struct {
		Variants []struct {
			ID              json.Number `json:"id"`
			InventoryItemID json.Number `json:"inventory_item_id"`
		} `json:"variants"`
		InventoryItemID json.Number `json:"inventory_item_id"`
		Available       int         `json:"available"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		f.t.Errorf("delivery %s: %v", id, err)
	}
	switch r.Header.Get("X-Shopify-Topic") {
	case "products/create":
		for _, v := range in.Variants {
			f.stockKeys[v.ID.String()] = v.InventoryItemID.String()
		}
	case "inventory_levels/update":
		f.levels[in.InventoryItemID.String()] = in.Available
	}
}

func (f *fakeInstance) item(w http.ResponseWriter, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key, ok := f.stockKeys[id]
	if !ok {
		http.NotFound(w, nil)
		return
	}
	view := map[string]any{"item_id": id, "levels": []map[string]any{}}
	if lvl, ok := f.levels[key]; ok {
		view["levels"] = []map[string]any{{"available": lvl}}
	}
	_ = json.NewEncoder(w).Encode(view)
}
