package dashboard_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/api"
	"github.com/backorderd/backorderd/api/dashboard"
	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

const token = "dashboard-test-token-0123456789"

// now is the dashboard's clock in these tests: a Wednesday afternoon.
var now = time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC)

// lastWebhook is when the last order webhook came.
var lastWebhook = time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)

// fixture is a shop as a merchant would find it one afternoon: two items
// waiting (one at its cap), a shortfall on a third, an overdue purchase
// order, held mail, mail waiting for the SendGrid account, and order
// webhooks that fell silent.
type fixture struct {
	shop       store.Shop
	backorders map[string]int64 // "order/line" → id
	po         store.PurchaseOrder
}

func seed(t *testing.T, s *store.Store) fixture {
	t.Helper()
	ctx := context.Background()
	s.SetClock(func() time.Time { return now })
	shop := store.NewShop(store.Shopify, "harbor-kiln.myshopify.com", "secret")
	shop.Name, shop.TimeZone = "Harbor Kiln", "Europe/Berlin"
	shop, err := s.AddShop(ctx, shop)
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{shop: shop, backorders: map[string]int64{}}
	order := func(id string, placed time.Time, lines ...backorder.Line) backorder.Order {
		return backorder.Order{OrderID: id, Name: "#" + id, Status: backorder.OrderOpen, PlacedAt: placed,
			UpdatedAt: placed, Lines: lines, Version: backorder.Version{At: placed},
			Customer: backorder.Customer{Email: "wren@example.net", FirstName: "Wren", LastName: "Lee"}}
	}
	line := func(id, item, sku string, n int) backorder.Line {
		return backorder.Line{LineID: id, ItemID: item, SKU: sku, Title: "The " + sku, Quantity: n, OpenUnits: n}
	}
	wait := func(orderID, lineID, item string, n int) store.BackorderWrite {
		return store.BackorderWrite{OrderID: orderID, LineID: lineID, ItemID: item, Ordered: n, Backordered: n,
			Waiting: n, Status: "waiting", Events: []store.EventWrite{{Kind: store.EventStartedWaiting, Quantity: n,
				Detail: fmt.Sprintf("%d short", n)}}}
	}
	eta1, eta2 := time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 22, 0, 0, 0, 0, time.UTC)
	expected := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	err = s.InTx(ctx, func(tx *store.Tx) error {
		for _, o := range []backorder.Order{
			order("1001", now.Add(-74*time.Hour), line("L1", "11", "MUG-BLUE", 3)),
			order("1002", now.Add(-26*time.Hour), line("L1", "11", "MUG-BLUE", 2), line("L2", "12", "TEA-GREEN", 1)),
		} {
			if _, err := tx.ApplyOrder(ctx, shop.ID, o); err != nil {
				return err
			}
		}
		if err := tx.WriteBackorders(ctx, shop.ID, "inbox:1", []store.BackorderWrite{
			wait("1001", "L1", "11", 2), wait("1002", "L1", "11", 2), wait("1002", "L2", "12", 1)}); err != nil {
			return err
		}
		if _, err := tx.MarkItems(ctx, shop.ID, []string{"11", "13"}, now, time.Time{}, "test"); err != nil {
			return err
		}
		if err := tx.SaveLedger(ctx, store.LedgerRow{ShopID: shop.ID, ItemID: "11", Waiting: 4, AtCap: true, OverCap: 1}); err != nil {
			return err
		}
		if err := tx.SaveLedger(ctx, store.LedgerRow{ShopID: shop.ID, ItemID: "13", Shortfall: 2}); err != nil {
			return err
		}
		for _, e := range []store.Email{
			{Kind: "backordered", DedupeKey: "order:1001:backordered", OrderID: "1001", ToEmail: "wren@example.net",
				Subject: "Your order #1001: on its way soon", Status: store.EmailSent},
			{Kind: "ready", DedupeKey: "order:1002:allocated:1", OrderID: "1002", ToEmail: "wren@example.net",
				Subject: "Ready to ship", Status: store.EmailHeld, Reason: "the shop has no from address"},
			{Kind: "eta_changed", DedupeKey: "order:1002:eta", OrderID: "1002", ToEmail: "wren@example.net",
				Subject: "A new date", Status: store.EmailPending, Reason: store.AccountWaitReason + "403 Forbidden: credits exhausted"},
		} {
			e.ShopID = shop.ID
			if _, _, err := tx.AddEmail(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The poller found the order webhooks silent since the one of 06:00
	// yesterday.
	if _, _, err := s.RecordDelivery(ctx, store.Delivery{ShopID: shop.ID, Topic: "orders/create", DedupeKey: "e1",
		Headers: map[string]string{}, Body: []byte("{}"), ReceivedAt: lastWebhook}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.NoteSilence(ctx, shop.ID, lastWebhook); err != nil {
		t.Fatal(err)
	}
	es, err := s.ListBackorders(ctx, store.BackorderFilter{ShopID: shop.ID, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		f.backorders[e.OrderID+"/"+e.LineID] = e.ID
	}
	sp, err := s.AddSupplier(ctx, store.Supplier{Name: "Copperworks", Email: "po@copperworks.example",
		Channel: store.ChannelEmail, LeadTimeDays: 10, Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	err = s.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SetETAs(ctx, []store.ETAWrite{{BackorderID: f.backorders["1001/L1"], ETA: &eta1, Kind: "confirmed"},
			{BackorderID: f.backorders["1002/L1"], ETA: &eta2, Kind: "estimate"},
			{BackorderID: f.backorders["1002/L2"], Kind: "unknown"}}); err != nil {
			return err
		}
		po, err := tx.DraftPO(ctx, shop.ID, sp.ID, "EUR")
		if err != nil {
			return err
		}
		if err := tx.AddToPOLine(ctx, po.ID, store.POLine{ItemID: "11", SKU: "MUG-BLUE", Quantity: 10, UnitCost: "4.00"}); err != nil {
			return err
		}
		po.Status, po.ExpectedAt, po.SentAt = store.POSent, &expected, &expected
		f.po = po
		return tx.SavePO(ctx, po)
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// canceller records the cancellations the dashboard asks for.
type canceller struct {
	calls []string
	err   error
}

func (c *canceller) Cancel(_ context.Context, id int64, a jobs.Action) (jobs.StoreEffect, error) {
	c.calls = append(c.calls, fmt.Sprintf("%d %q by %s", id, a.Reason, a.Actor))
	return jobs.StoreNone, c.err
}

func (c *canceller) Prioritize(_ context.Context, id int64, a jobs.Action) error {
	c.calls = append(c.calls, fmt.Sprintf("first %d %q by %s", id, a.Reason, a.Actor))
	return c.err
}

func router(s *store.Store, actions *canceller) *gin.Engine {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	var c dashboard.Actions
	if actions != nil {
		c = actions
	}
	sessions := api.NewSessionsWith(token, api.SessionOptions{Revocations: s})
	d := dashboard.New(s, c, sessions, slog.New(slog.DiscardHandler))
	d.SetClock(func() time.Time { return now })
	d.Mount(r, api.RequireLogin(sessions))
	return r
}

// get fetches path with the bearer token and returns the status and body.
func get(t testing.TB, r http.Handler, path string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// getWithCookie fetches path with the session cookie c.
func getWithCookie(r http.Handler, path string, c *http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.AddCookie(c)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	return rec
}

// post sends a form as the dashboard's own page does (same origin).
func post(r http.Handler, path string, form url.Values, set func(*http.Request)) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", "http://example.com")
	if set != nil {
		set(req)
	}
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	return rec
}

func TestABrowserLogsInWithTheAdminTokenAndOut(t *testing.T) {
	r := router(storetest.New(t, store.SQLite), nil)

	req := httptest.NewRequest(http.MethodGet, "/backorders?status=waiting", nil)
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/login?next=%2Fbackorders%3Fstatus%3Dwaiting" {
		t.Fatalf("a browser without a login = %d to %q, want 303 to the login", rec.Code, rec.Header().Get("Location"))
	}
	if code, body := get(t, r, "/login?next=/backorders"); code != http.StatusOK || !strings.Contains(body, `name="password"`) ||
		!strings.Contains(body, `value="/backorders"`) {
		t.Fatalf("login page = %d:\n%s", code, body)
	}

	rec = post(r, "/login", url.Values{"password": {"guess"}, "next": {"/backorders"}}, nil)
	if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "not the admin token") ||
		len(rec.Result().Cookies()) != 0 {
		t.Fatalf("a wrong token = %d, cookies %v, want 401, the form again and no session", rec.Code, rec.Result().Cookies())
	}
	rec = post(r, "/login", url.Values{"password": {token}}, func(r *http.Request) {
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		r.Header.Set("Origin", "https://evil.example")
	})
	if rec.Code != http.StatusForbidden || len(rec.Result().Cookies()) != 0 {
		t.Fatalf("a login posted from another site = %d, want 403 and no session", rec.Code)
	}
	for next, want := range map[string]string{"/backorders?item=11": "/backorders?item=11", "//evil.example/": "/",
		"https://evil.example/": "/", "/\\evil.example": "/", "/\t/evil.example": "/", "/\n/evil.example": "/", "": "/"} {
		rec = post(r, "/login", url.Values{"password": {token}, "next": {next}}, nil)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != want {
			t.Errorf("login with next %q = %d to %q, want 303 to %q", next, rec.Code, rec.Header().Get("Location"), want)
		}
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Name != api.SessionCookie || !cookies[0].HttpOnly {
		t.Fatalf("login set %v, want the session cookie", cookies)
	}

	rec = getWithCookie(r, "/", cookies[0])
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "No shop yet") {
		t.Fatalf("the overview with the session = %d:\n%s", rec.Code, rec.Body)
	}

	// Another browser's session, logged in from the same address.
	other := post(r, "/login", url.Values{"password": {token}}, nil).Result().Cookies()

	rec = post(r, dashboard.LogoutPath, nil, func(r *http.Request) { r.AddCookie(cookies[0]) })
	out := rec.Result().Cookies()
	if rec.Code != http.StatusSeeOther || len(out) != 1 || out[0].MaxAge >= 0 {
		t.Fatalf("logout = %d, cookies %v, want 303 and the session deleted", rec.Code, out)
	}
	// A copy of the cookie taken before the logout opens nothing: not the
	// dashboard, not a form, not the login's shortcut.
	rec = getWithCookie(r, "/", cookies[0])
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("the overview with a logged-out session's cookie = %d, want 401", rec.Code)
	}
	if rec := post(r, "/backorders/1/cancel", url.Values{"reason": {"x"}}, func(r *http.Request) { r.AddCookie(cookies[0]) }); rec.Code != http.StatusUnauthorized {
		t.Errorf("a form posted with a logged-out session's cookie = %d, want 401", rec.Code)
	}
	rec = getWithCookie(r, "/login", cookies[0])
	if rec.Code != http.StatusOK {
		t.Errorf("the login page with a logged-out session's cookie = %d, want 200 and the form", rec.Code)
	}
	// The other session is its own.
	rec = getWithCookie(r, "/", other[0])
	if rec.Code != http.StatusOK {
		t.Errorf("another session after this one logged out = %d, want 200", rec.Code)
	}
}

func TestRepeatedWrongTokensFromOneClientAreRefusedForAWhileAndLongerEachTime(t *testing.T) {
	gin.SetMode(gin.TestMode)
	s := storetest.New(t, store.SQLite)
	at := now
	r := gin.New()
	// As the process has it: no proxy trusted, the client is the
	// connection's address.
	if err := r.SetTrustedProxies(nil); err != nil {
		t.Fatal(err)
	}
	sessions := api.NewSessionsWith(token, api.SessionOptions{Revocations: s})
	d := dashboard.New(s, nil, sessions, slog.New(slog.DiscardHandler))
	d.SetClock(func() time.Time { return at })
	d.Mount(r, api.RequireLogin(sessions))
	login := func(from, password string) *httptest.ResponseRecorder {
		return post(r, "/login", url.Values{"password": {password}, "next": {"/backorders"}}, func(r *http.Request) {
			r.RemoteAddr = from + ":40000"
			r.Header.Set("X-Forwarded-For", fmt.Sprintf("203.0.113.%d", at.Unix()%200)) // not believed: no proxy is trusted
		})
	}
	const attacker, merchant = "198.51.100.7", "192.0.2.10"
	guess := func(n int, want int) *httptest.ResponseRecorder {
		t.Helper()
		var rec *httptest.ResponseRecorder
		for i := range n {
			at = at.Add(time.Second)
			if rec = login(attacker, fmt.Sprintf("guess-%d", i)); rec.Code != want {
				t.Fatalf("guess %d at %s = %d, want %d", i+1, at.Format(time.TimeOnly), rec.Code, want)
			}
		}
		return rec
	}
	guess(4, http.StatusUnauthorized)
	rec := guess(1, http.StatusTooManyRequests) // the fifth wrong one locks the client out
	if got := rec.Header().Get("Retry-After"); got != "60" || !strings.Contains(rec.Body.String(), "try again in 1 minute") ||
		!strings.Contains(rec.Body.String(), `name="password"`) {
		t.Errorf("locked out: Retry-After %q, page:\n%s\nwant 60 s, said, and the form", got, rec.Body)
	}
	// Locked out, even the right token is refused from there ...
	at = at.Add(20 * time.Second)
	if rec := login(attacker, token); rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "40" ||
		len(rec.Result().Cookies()) != 0 {
		t.Errorf("the right token from the locked-out client = %d, Retry-After %q, cookies %v; want 429 in 40 s, no session",
			rec.Code, rec.Header().Get("Retry-After"), rec.Result().Cookies())
	}
	// ... but not from another client.
	if rec := login(merchant, token); rec.Code != http.StatusSeeOther || len(rec.Result().Cookies()) != 1 {
		t.Errorf("the right token from another client = %d, want 303 and a session", rec.Code)
	}
	// After the minute, five more tries; then two minutes.
	at = at.Add(41 * time.Second)
	guess(4, http.StatusUnauthorized)
	if rec := guess(1, http.StatusTooManyRequests); rec.Header().Get("Retry-After") != "120" {
		t.Errorf("the second lockout: Retry-After %q, want 120", rec.Header().Get("Retry-After"))
	}
	// A good login after it starts the client afresh.
	at = at.Add(121 * time.Second)
	if rec := login(attacker, token); rec.Code != http.StatusSeeOther {
		t.Fatalf("the right token after the lockout = %d, want 303", rec.Code)
	}
	guess(4, http.StatusUnauthorized)
	if rec := guess(1, http.StatusTooManyRequests); rec.Header().Get("Retry-After") != "60" {
		t.Errorf("a lockout after a good login: Retry-After %q, want 60 again", rec.Header().Get("Retry-After"))
	}
}

// order finds each of wants in body, in that order.
func inOrder(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	at := 0
	for _, w := range wants {
		i := strings.Index(body[at:], w)
		if i < 0 {
			t.Errorf("%s: %q not found after the previous ones", what, w)
			return
		}
		at += i + len(w)
	}
}

func TestTheOverviewShowsWhatWaitsThePromisedDatesAndWhatNeedsAttention(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := seed(t, s)
		r := router(s, nil)
		code, body := get(t, r, "/")
		if code != http.StatusOK {
			t.Fatalf("GET / = %d:\n%s", code, body)
		}
		for _, want := range []string{
			"Harbor Kiln (harbor-kiln.myshopify.com)",
			`id="units-waiting">5<`,
			// Order 1002 waits for two items: one order.
			`id="orders-waiting">2<`,
			// Alerts: the critical ones first.
			"SendGrid refuses the account", "403 Forbidden: credits exhausted",
			"order webhooks fell silent", "No orders/create webhook since 1 Dec 2026 07:00",
			fmt.Sprintf("Purchase order %d from Copperworks is overdue", f.po.ID), "Expected Mon 30 Nov 2026; 10 units still due.",
			"MUG-BLUE reached its cap", "4 units wait; 1 of them ordered past the cap.",
			"Shortfall on item 13", "2 units sold beyond the orders",
			"1 email held", "<code>backorderd shop set harbor-kiln.myshopify.com --from ADDRESS</code>",
			"<code>backorderd shop connect harbor-kiln.myshopify.com</code>", "1 message waits until",
			// The queues: the item's ETA is its last line's.
			`<a href="/backorders?item=11&amp;shop=` + fmt.Sprint(f.shop.ID) + `">MUG-BLUE</a>`,
			"3 d 2 h", "since 29 Nov 2026 13:00", "Tue 22 Dec 2026", "eta-estimate",
			"TEA-GREEN", "eta-unknown",
			// Demand: 6 units ordered, 5 of them backordered.
			"6 units ordered over the last 30 days, 5 of them backordered",
			"<td>Sun 29 Nov</td><td class=\"num\">3</td><td class=\"num\">2</td>",
			"<td>Tue 1 Dec</td><td class=\"num\">3</td><td class=\"num\">3</td>",
			// The purchase order and the mail.
			`<span class="badge bad">2 d, since Mon 30 Nov 2026</span>`,
			"Your order #1001: on its way soon", "mail-held", "1 sent · 1 pending · 1 held",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("overview lacks %q", want)
			}
		}
		inOrder(t, "alerts", body, "SendGrid refuses", "fell silent", "is overdue", "reached its cap", "Shortfall", "email held")
		if m := regexp.MustCompile(`<rect class="ordered"[^>]*height="([0-9.]+)"`).FindAllStringSubmatch(body, -1); len(m) != 30 {
			t.Errorf("chart bars = %d, want 30 days", len(m))
		}
		// Sorted by units waiting by default, by what the link says when
		// asked.
		inOrder(t, "default order", body, ">MUG-BLUE<", ">TEA-GREEN<", ">item 13<")
		// Item 13 waits for nothing: the script sorts its oldest wait and
		// ETA after every date, as the server does.
		if row := regexp.MustCompile(`(?s)>item 13<.*?</tr>`).FindString(body); strings.Count(row, `data-sort="9007199254740992"`) != 2 {
			t.Errorf("item 13's row sorts its oldest wait or ETA before the dates:\n%s", row)
		}
		_, bySKU := get(t, r, "/?sort=-sku")
		inOrder(t, "by SKU descending", bySKU, ">item 13<", ">TEA-GREEN<", ">MUG-BLUE<")
		if !strings.Contains(bySKU, `data-key="sku" aria-sort="descending"><a href="?sort=sku">`) {
			t.Error("the sorted heading does not say so, or does not link to the other order")
		}
		_, byETA := get(t, r, "/?sort=eta")
		inOrder(t, "by ETA", byETA, ">MUG-BLUE<", ">TEA-GREEN<")

		// A webhook after the silence ends it.
		if _, _, err := s.RecordDelivery(context.Background(), store.Delivery{ShopID: f.shop.ID, Topic: "orders/create",
			DedupeKey: "e2", Headers: map[string]string{}, Body: []byte("{}"), ReceivedAt: now.Add(-time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if _, body := get(t, r, "/"); strings.Contains(body, "fell silent") {
			t.Error("the webhooks came back, but the overview still says they fell silent")
		}
	})
}

func TestABackorderShowsItsOrderItsTrailAndIsCancelledWithAReason(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := seed(t, s)
		c := &canceller{}
		r := router(s, c)
		id := f.backorders["1002/L1"]
		path := fmt.Sprintf("/backorders/%d", id)
		code, body := get(t, r, path)
		if code != http.StatusOK {
			t.Fatalf("GET %s = %d:\n%s", path, code, body)
		}
		for _, want := range []string{"Order #1002 · MUG-BLUE", `id="waiting">2<`, "Wren Lee", "Tue 22 Dec 2026",
			"TEA-GREEN", "started waiting", "2 short", "inbox:1", `action="` + path + `/cancel"`} {
			if !strings.Contains(body, want) {
				t.Errorf("backorder page lacks %q", want)
			}
		}

		if rec := post(r, path+"/cancel", url.Values{"reason": {"  "}}, authorized); rec.Code != http.StatusUnprocessableEntity ||
			!strings.Contains(rec.Body.String(), "Say why") {
			t.Errorf("cancel without a reason = %d, want 422 asking for one", rec.Code)
		}
		if rec := post(r, path+"/cancel", url.Values{"reason": {"gone"}}, func(r *http.Request) {
			authorized(r)
			r.Header.Set("Sec-Fetch-Site", "cross-site")
			r.Header.Set("Origin", "https://evil.example")
		}); rec.Code != http.StatusForbidden {
			t.Errorf("cancel posted from another site = %d, want 403", rec.Code)
		}
		if rec := post(r, path+"/cancel", url.Values{"reason": {"gone"}}, nil); rec.Code != http.StatusUnauthorized {
			t.Errorf("cancel without credentials = %d, want 401", rec.Code)
		}
		if len(c.calls) != 0 {
			t.Fatalf("cancelled %v on refused requests", c.calls)
		}
		rec := post(r, path+"/cancel", url.Values{"reason": {"The kiln broke; this glaze is discontinued."}}, authorized)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != path+"?done=cancelled&store=none" {
			t.Fatalf("cancel = %d to %q, want 303 back to the backorder", rec.Code, rec.Header().Get("Location"))
		}
		// Through the login, the trail names it.
		login := post(r, api.LoginPath, url.Values{"password": {token}}, nil).Result().Cookies()
		post(r, path+"/cancel", url.Values{"reason": {"Twice."}}, func(r *http.Request) { r.AddCookie(login[0]) })
		if want := fmt.Sprintf(`[%d "The kiln broke; this glaze is discontinued." by admin token %d "Twice." by browser login]`, id, id); fmt.Sprint(c.calls) != want {
			t.Errorf("cancellations = %v, want %s", c.calls, want)
		}
		if _, body := get(t, r, path+"?done=cancelled&store=none"); !strings.Contains(body, "Cancelled. The customer is told") ||
			!strings.Contains(body, "cancel the line there by hand") {
			t.Error("the backorder after cancelling does not say it was, and what the store needs")
		}

		c.err = fmt.Errorf("backorder %d is shipped: %w", id, jobs.ErrConflict)
		if rec := post(r, path+"/cancel", url.Values{"reason": {"again"}}, authorized); rec.Code != http.StatusConflict ||
			!strings.Contains(rec.Body.String(), "cannot be cancelled now") {
			t.Errorf("a refused cancel = %d, want 409 saying why", rec.Code)
		}
		c.err = fmt.Errorf("the reason is 600 characters: %w", jobs.ErrUnprocessable)
		if rec := post(r, path+"/cancel", url.Values{"reason": {"again"}}, authorized); rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("a cancel the service refuses = %d, want 422", rec.Code)
		}
		c.err = errors.New("database gone")
		if rec := post(r, path+"/cancel", url.Values{"reason": {"again"}}, authorized); rec.Code != http.StatusServiceUnavailable {
			t.Errorf("a failed cancel = %d, want 503", rec.Code)
		}
		if code, _ := get(t, r, "/backorders/999999"); code != http.StatusNotFound {
			t.Errorf("a missing backorder = %d, want 404", code)
		}
		// Without a way to act, no form is offered.
		if _, body := get(t, router(s, nil), path); strings.Contains(body, "<form method=\"post\" action=\"/backorders") {
			t.Error("a dashboard without the backorder service offers its forms")
		}

		// Served first, with its own form.
		c.calls, c.err = nil, nil
		if rec := post(r, path+"/prioritize", url.Values{"reason": {"A wedding on Saturday."}}, authorized); rec.Code != http.StatusSeeOther ||
			rec.Header().Get("Location") != path+"?done=prioritized" {
			t.Fatalf("serve first = %d to %q, want 303 back to the backorder", rec.Code, rec.Header().Get("Location"))
		}
		if want := fmt.Sprintf(`[first %d "A wedding on Saturday." by admin token]`, id); fmt.Sprint(c.calls) != want {
			t.Errorf("actions = %v, want %s", c.calls, want)
		}
		if _, body := get(t, r, path+"?done=prioritized"); !strings.Contains(body, "Moved to the front of its item") {
			t.Error("the backorder after serving it first does not say so")
		}
		c.err = fmt.Errorf("backorder %d is first already: %w", id, jobs.ErrConflict)
		rec = post(r, path+"/prioritize", url.Values{"reason": {"again"}}, authorized)
		if body := rec.Body.String(); rec.Code != http.StatusConflict || !strings.Contains(body, "cannot be moved to the front now") ||
			!strings.Contains(body, ">again</textarea>") {
			t.Errorf("a refused serve first = %d, want 409 saying why, the reason kept in its form:\n%s", rec.Code, body)
		}
	})
}

func TestTheOverviewSaysWhenEmailsAreNotBeingSent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := seed(t, s)
		r := router(s, nil)
		if _, body := get(t, r, "/"); strings.Contains(body, "Emails are not being sent") {
			t.Fatal("the newest email was written for sending, but the overview says mail is not sent")
		}
		err := s.InTx(context.Background(), func(tx *store.Tx) error {
			_, _, err := tx.AddEmail(context.Background(), store.Email{ShopID: f.shop.ID, Kind: "backordered",
				DedupeKey: "order:1003:backordered", OrderID: "1003", ToEmail: "ash@example.net", Subject: "On its way",
				Status: store.EmailNotSent, Reason: "no provider: SENDGRID_API_KEY is not set"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		_, body := get(t, r, "/")
		for _, want := range []string{"Emails are not being sent", "kept but not sent (no provider: SENDGRID_API_KEY is not set)"} {
			if !strings.Contains(body, want) {
				t.Errorf("overview lacks %q", want)
			}
		}
	})
}

func TestTheBackorderListFiltersByItemAndStatus(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := seed(t, s)
		r := router(s, nil)
		_, body := get(t, r, fmt.Sprintf("/backorders?shop=%d&item=11", f.shop.ID))
		if n := strings.Count(body, `<a href="/backorders/`); n != 2 {
			t.Errorf("backorders of item 11 = %d links, want 2", n)
		}
		inOrder(t, "newest first", body, "<h1>Backorders of MUG-BLUE</h1>", ">#1002<", ">#1001<")
		// By the SKU a merchant knows the item by.
		_, body = get(t, r, fmt.Sprintf("/backorders?shop=%d&sku=MUG-BLUE", f.shop.ID))
		if n := strings.Count(body, `<a href="/backorders/`); n != 2 || !strings.Contains(body, "<h1>Backorders of MUG-BLUE</h1>") {
			t.Errorf("backorders of SKU MUG-BLUE = %d links, want 2 under its heading", n)
		}
		if _, body = get(t, r, "/backorders?sku=NO-SUCH-SKU"); !strings.Contains(body, "No backorder matches") {
			t.Error("an unknown SKU lists backorders")
		}
		_, body = get(t, r, "/backorders?status=allocated")
		if !strings.Contains(body, "No backorder matches") {
			t.Error("no allocated backorder, but the list shows some")
		}
		_, body = get(t, r, "/backorders?sort=placed")
		inOrder(t, "oldest first", body, ">#1001<", ">#1002<")
	})
}

func authorized(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }

func TestAssetsAreServedWithoutLogin(t *testing.T) {
	r := router(storetest.New(t, store.SQLite), nil)
	for path, typ := range map[string]string{"/assets/dashboard.css": "text/css", "/assets/dashboard.js": "text/javascript"} {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		body, _ := io.ReadAll(rec.Body)
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), typ) || len(body) < 500 {
			t.Errorf("GET %s = %d %s, %d bytes", path, rec.Code, rec.Header().Get("Content-Type"), len(body))
		}
	}
}

// TestEveryPageRefusesWithoutTheLogin walks the routes the dashboard
// mounts, so that a page added later cannot escape the guard: only the
// login, the logout and the assets are open.
func TestEveryPageRefusesWithoutTheLogin(t *testing.T) {
	s := storetest.New(t, store.SQLite)
	f := seed(t, s)
	r := router(s, &canceller{})
	open := map[string]bool{"GET " + api.LoginPath: true, "POST " + api.LoginPath: true,
		"POST " + dashboard.LogoutPath: true, "GET /assets/dashboard.css": true, "GET /assets/dashboard.js": true}
	routes := r.Routes()
	if len(routes) < len(open)+4 {
		t.Fatalf("routes = %v, want the pages too", routes)
	}
	for _, rt := range routes {
		if open[rt.Method+" "+rt.Path] {
			continue
		}
		path := strings.ReplaceAll(rt.Path, ":id", fmt.Sprint(f.backorders["1001/L1"]))
		for name, set := range map[string]func(*http.Request){
			"none":        func(*http.Request) {},
			"wrong token": func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token+"x") },
			"forged cookie": func(r *http.Request) {
				r.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: "9999999999.bm9uY2U.c2ln"})
			},
		} {
			req := httptest.NewRequest(rt.Method, path, strings.NewReader("reason=x"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			set(req)
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, req)
			if rec.Code != http.StatusUnauthorized {
				t.Errorf("%s %s with %s = %d, want 401", rt.Method, path, name, rec.Code)
			}
		}
	}
}
