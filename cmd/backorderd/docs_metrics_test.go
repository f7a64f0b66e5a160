package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
)

// alertRules is the part of a Prometheus rule file the test reads.
type alertRules struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// dashboardExprs are the PromQL expressions of a Grafana dashboard's
// panels, rows' panels included, by panel title.
func dashboardExprs(t *testing.T, path string) map[string][]string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	type panel struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
		Panels []json.RawMessage `json:"panels"`
	}
	var dash struct {
		Title  string            `json:"title"`
		UID    string            `json:"uid"`
		Panels []json.RawMessage `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if dash.Title == "" || dash.UID == "" || len(dash.Panels) == 0 {
		t.Fatalf("%s: no title, uid or panels", path)
	}
	exprs := map[string][]string{}
	var walk func([]json.RawMessage)
	walk = func(ps []json.RawMessage) {
		for _, raw := range ps {
			var p panel
			if err := json.Unmarshal(raw, &p); err != nil {
				t.Fatalf("%s: panel: %v", path, err)
			}
			for _, tg := range p.Targets {
				exprs[p.Title] = append(exprs[p.Title], tg.Expr)
			}
			walk(p.Panels)
		}
	}
	walk(dash.Panels)
	return exprs
}

// scrapedNames are the series names of a Prometheus text exposition.
func scrapedNames(t *testing.T, body io.Reader) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if i := strings.IndexAny(line, "{ "); i > 0 {
			names[line[:i]] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

// scrapedLabels are the label names each metric of a Prometheus text
// exposition has on some series.
func scrapedLabels(body []byte) map[string]map[string]bool {
	labels := map[string]map[string]bool{}
	for _, line := range strings.Split(string(body), "\n") {
		i := strings.IndexByte(line, '{')
		if strings.HasPrefix(line, "#") || i <= 0 {
			continue
		}
		name := line[:i]
		if labels[name] == nil {
			labels[name] = map[string]bool{}
		}
		for _, m := range scrapedLabelRE.FindAllStringSubmatch(line[i:], -1) {
			labels[name][m[1]] = true
		}
	}
	return labels
}

var scrapedLabelRE = regexp.MustCompile(`[{,]([a-zA-Z_][a-zA-Z0-9_]*)="`)

// scrape reads /metrics: its text and its series' names.
func scrape(t *testing.T, addr string) ([]byte, map[string]bool) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+monitorToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics = %d", resp.StatusCode)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return body, scrapedNames(t, strings.NewReader(string(body)))
}

// TestTheDashboardAndAlertRulesNameOnlyMetricsThatARealScrapeHas runs
// backorderd through a small sale (an order that waits, a product update,
// its emails) and scrapes /metrics: every metric that docs/'s Grafana
// dashboard and Prometheus alert rules name is there, every rule is well
// formed, and every failure mode the issue names has its alert.
func TestTheDashboardAndAlertRulesNameOnlyMetricsThatARealScrapeHas(t *testing.T) {
	docs, _ := filepath.Abs(filepath.Join("..", "..", "docs"))
	dashboard := dashboardExprs(t, filepath.Join(docs, "grafana-dashboard.json"))
	raw, err := os.ReadFile(filepath.Join(docs, "prometheus-alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var rules alertRules
	if err := yaml.UnmarshalWithOptions(raw, &rules, yaml.Strict()); err != nil {
		t.Fatalf("prometheus-alerts.yml: %v", err)
	}

	t.Chdir(t.TempDir())
	_, redisAt := testRedis(t)
	p := start(t, []string{"run"}, map[string]string{"ADMIN_TOKEN": monitorToken, "REDIS_URL": redisAt,
		"SHOPIFY_SHOP_DOMAIN": shopDomain, "SHOPIFY_WEBHOOK_SECRET": shopifySecret,
		"WOOCOMMERCE_STORE_URL": "https://larchwood-goods.example/", "WOOCOMMERCE_WEBHOOK_SECRET": "fixture-secret-woo-do-not-use",
		"SETTLE_QUIET": "0s"})
	p.waitReady(t)
	for _, name := range []string{"shopify/orders-create", "woocommerce/order-created", "woocommerce/product-updated-variation"} {
		if resp := postFixture(t, p.addr, name); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s answered %d", name, resp.StatusCode)
		}
	}
	waitBackorder(t, "sqlite", "backorderd.db")
	waitInbox(t, "sqlite", "backorderd.db", 3, "processed")

	// A delivery with a wrong signature: refused.
	if resp := postFixtureWith(t, p.addr, "shopify/orders-create", map[string]string{"X-Shopify-Hmac-Sha256": "d3Jvbmc="}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a wrong signature answered %d", resp.StatusCode)
	}

	// An operator's action the admin API refuses (the delivery was
	// applied already), and one without the token, which is no action.
	for _, token := range []string{monitorToken, ""} {
		req, _ := http.NewRequest(http.MethodPost, "http://"+p.addr+"/api/v1/inbox/1/replay", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := map[bool]int{true: http.StatusConflict, false: http.StatusUnauthorized}[token != ""]; resp.StatusCode != want {
			t.Fatalf("replay of a processed delivery (token %t) answered %d, want %d", token != "", resp.StatusCode, want)
		}
	}

	// What the docs name, once the scenario's tasks (its emails) are done.
	var want []string
	for _, exprs := range dashboard {
		for _, e := range exprs {
			names, _ := promqlMetrics(e)
			want = append(want, names...)
		}
	}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			names, _ := promqlMetrics(r.Expr)
			want = append(want, names...)
		}
	}
	var body []byte
	var scraped map[string]bool
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		body, scraped = scrape(t, p.addr)
		if !slices.ContainsFunc(want, func(n string) bool { return !scraped[n] }) || time.Now().After(deadline) {
			break
		}
	}

	labels := scrapedLabels(body)
	checkExpr := func(where, expr string) {
		t.Helper()
		for name, ls := range promqlLabels(expr) {
			for _, l := range ls {
				if scraped[name] && !labels[name][l] {
					t.Errorf("%s: %s has no label %s in a scrape of /metrics", where, name, l)
				}
			}
		}
		names, err := promqlMetrics(expr)
		if err != nil {
			t.Errorf("%s: %v", where, err)
			return
		}
		if len(names) == 0 {
			t.Errorf("%s: %q names no metric", where, expr)
		}
		for _, n := range names {
			if !scraped[n] {
				t.Errorf("%s: %s is not in a scrape of /metrics", where, n)
			}
		}
	}
	panels := 0
	for title, exprs := range dashboard {
		for _, e := range exprs {
			checkExpr("dashboard panel "+title, e)
			panels++
		}
	}
	if panels < 10 {
		t.Errorf("dashboard has %d queries, want a dashboard", panels)
	}
	var alerts []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			alerts = append(alerts, r.Alert)
			if r.Alert == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("rule %q: wants an alert name, a severity and a summary", r.Alert)
			}
			checkExpr("alert "+r.Alert, r.Expr)
		}
	}
	// The failure modes an operator must hear of.
	for _, want := range []string{"BackorderdItemsAtCap", "BackorderdPurchaseOrdersOverdue", "BackorderdMailHeld",
		"BackorderdSendGridAccountRefused", "BackorderdWebhooksSilent", "BackorderdShortfall",
		"BackorderdQueueBackingUp", "BackorderdStoreWritesFailing"} {
		if !slices.Contains(alerts, want) {
			t.Errorf("no alert %s among %v", want, alerts)
		}
	}
	if want := `backorderd_operator_actions_total{action="replay",outcome="refused"} 1`; !strings.Contains(string(body), want+"\n") {
		t.Errorf("/metrics lacks %s", want)
	}
	// No shop, order or customer in a label.
	for _, leak := range []string{shopDomain, "larchwood", "48213", "wren", "zoe", "LW-APRON"} {
		if strings.Contains(string(body), leak) {
			t.Errorf("/metrics names %s", leak)
		}
	}
}
