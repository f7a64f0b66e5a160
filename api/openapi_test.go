package api_test

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func TestTheOpenAPIDocumentNamesEveryRouteGinHasAndNoOther(t *testing.T) {
	d := newDocumentedAPI(t, storetest.New(t, store.SQLite))
	routes := map[string]bool{}
	for _, r := range d.router.Routes() {
		if strings.HasPrefix(r.Path, "/api/") {
			routes[r.Method+" "+openAPIPath(r.Path)] = true
		}
	}
	for key := range routes {
		if d.doc.ops[key] == nil {
			t.Errorf("gin serves %s; the OpenAPI document does not describe it", key)
		}
	}
	for key := range d.doc.ops {
		if !routes[key] {
			t.Errorf("the OpenAPI document describes %s; gin has no such route", key)
		}
	}
	if len(routes) < 20 {
		t.Errorf("found %d admin routes, want the whole admin API", len(routes))
	}
}

func TestTheOpenAPIDocumentIsConsistent(t *testing.T) {
	d := newDocumentedAPI(t, storetest.New(t, store.SQLite))
	ids := map[string]string{}
	pathParam := regexp.MustCompile(`\{([^}]+)\}`)
	for key, op := range d.doc.ops {
		method, path, _ := strings.Cut(key, " ")
		raw := d.doc.doc["paths"].(map[string]any)[path].(map[string]any)[strings.ToLower(method)].(map[string]any)
		id, _ := raw["operationId"].(string)
		if id == "" || ids[id] != "" {
			t.Errorf("%s: operationId %q is missing or also %s's", key, id, ids[id])
		}
		ids[id] = key
		if s, _ := raw["summary"].(string); s == "" {
			t.Errorf("%s has no summary", key)
		}
		// Path parameters: exactly those the path names, each required.
		var inPath []string
		for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
			inPath = append(inPath, m[1])
		}
		var declared []string
		for _, p := range op.params {
			if p.in == "path" {
				declared = append(declared, p.name)
				if !p.required {
					t.Errorf("%s: path parameter %s is not required", key, p.name)
				}
			}
		}
		sort.Strings(inPath)
		sort.Strings(declared)
		if !slices.Equal(inPath, declared) {
			t.Errorf("%s: path parameters %v, declared %v", key, inPath, declared)
		}
		// Every route is behind the token; a state change is refused
		// from another site; reads are not.
		if op.responses[http.StatusUnauthorized] == nil {
			t.Errorf("%s does not document 401", key)
		}
		changes := method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
		if _, has := op.responses[http.StatusForbidden]; has != changes {
			t.Errorf("%s: documents 403 = %v, want %v (only state changes are refused from another site)", key, has, changes)
		}
		var success bool
		for status := range op.responses {
			success = success || status/100 == 2
		}
		if !success {
			t.Errorf("%s documents no success", key)
		}
	}
}

func TestTheOpenAPIDocumentsExamplesAreWhatItsSchemasDescribe(t *testing.T) {
	d := newDocumentedAPI(t, storetest.New(t, store.SQLite))
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(docURL, d.doc.doc); err != nil {
		t.Fatal(err)
	}
	schemas, _ := d.doc.doc["components"].(map[string]any)["schemas"].(map[string]any)
	checked := 0
	for name, v := range schemas {
		for i, ex := range asList(v.(map[string]any)["examples"]) {
			checked++
			if err := compile(t, c, "/components/schemas/"+name).Validate(ex); err != nil {
				t.Errorf("schema %s, example %d: %v", name, i, err)
			}
		}
	}
	if checked < 5 {
		t.Errorf("%d examples checked, want those of the main schemas", checked)
	}
}

// TestEveryAdminRouteAnswersAsItsOpenAPIDocumentSays drives every route of
// the admin API, on a real store and Redis, to every answer its
// documentation lists — the successes with data that fill every field,
// each client error, the token missing or wrong, a cross-site state
// change, the database down — and checks each answer against the document
// the API serves.
func TestEveryAdminRouteAnswersAsItsOpenAPIDocumentSays(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		d := newDocumentedAPI(t, s)
		seed := seedEverything(t, s)
		d.driveReads()
		d.driveOperations(seed)
		d.driveShops(seed)
		d.driveSupply()
		d.sweep()
		down := storetest.New(t, s.Engine())
		if err := down.Close(); err != nil {
			t.Fatal(err)
		}
		d.mount(down)
		d.sweepDatabaseDown()
		if missing := d.unseen(); len(missing) > 0 {
			t.Errorf("documented answers no request drew (drive them, or stop documenting them):\n  %s",
				strings.Join(missing, "\n  "))
		}
	})
}

// seeded names what seedEverything recorded.
type seeded struct {
	woo, shopify                   int64 // shops
	processed, undecodable, failed int64 // deliveries
	backorder                      int64
	sent, unaddressed              int64 // emails
	suppressed                     string
}

// seedEverything records, in the store, something of everything the
// admin API shows: two shops sharing an item id, deliveries processed,
// rejected and failed, privacy requests with and without a document, a
// waiting backorder with an ETA, an item with levels and a ledger, emails
// sent, held and failed, an address that bounced, store writes failed and
// pending.
func seedEverything(t *testing.T, s *store.Store) seeded {
	t.Helper()
	ctx := context.Background()
	woo := shopWaitingForAprons(t, s) // https://b.example/, item 1517, order 48213
	shopify, err := s.AddShop(ctx, store.NewShop(store.Shopify, "a.myshopify.com", "s"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	eta := time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC)
	available := -2
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	processed, _, err := s.RecordDelivery(ctx, store.Delivery{ShopID: woo.ID, Topic: "order.created", DedupeKey: "1",
		Body: []byte(`{}`), ReceivedAt: now})
	must(err)
	rejected, _, err := s.RecordDelivery(ctx, store.Delivery{ShopID: shopify.ID, Topic: "customers/data_request",
		DedupeKey: "2", Body: []byte(`{}`), ReceivedAt: now})
	must(err)
	undecodable, _, err := s.RecordDelivery(ctx, store.Delivery{ShopID: woo.ID, Topic: "order.created",
		DedupeKey: "3", Body: []byte(`not json`), ReceivedAt: now})
	must(err)
	failed, _, err := s.RecordDelivery(ctx, store.Delivery{ShopID: woo.ID, Topic: "order.created",
		DedupeKey: "4", Body: []byte(`{}`), ReceivedAt: now})
	must(err)
	must(s.FailInbox(ctx, failed, "archived after 25 retries"))
	entries, err := s.ListBackorders(ctx, store.BackorderFilter{ShopID: woo.ID, Limit: 1})
	if err != nil || len(entries) != 1 {
		t.Fatalf("the seeded backorder: %v %v", entries, err)
	}
	must(s.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.FinishInbox(ctx, processed, store.InboxProcessed, ""); err != nil {
			return err
		}
		if err := tx.FinishInbox(ctx, rejected, store.InboxRejected, "customer: missing"); err != nil {
			return err
		}
		if err := tx.FinishInbox(ctx, undecodable, store.InboxRejected, "not JSON"); err != nil {
			return err
		}
		if err := tx.AddPrivacyRecord(ctx, store.PrivacyRecord{ShopID: shopify.ID, InboxID: rejected,
			Kind: "customer_data", CustomerID: "7", Document: `{"customer":{"id":"7"}}`, Orders: 1}); err != nil {
			return err
		}
		if err := tx.AddPrivacyRecord(ctx, store.PrivacyRecord{ShopID: shopify.ID, InboxID: processed,
			Kind: "customer_redact", CustomerID: "8"}); err != nil {
			return err
		}
		if err := tx.SetETAs(ctx, []store.ETAWrite{{BackorderID: entries[0].ID, ETA: &eta, Kind: "confirmed"}}); err != nil {
			return err
		}
		// Item 1517 described by both shops: its id alone names two.
		yes := true
		for _, shopID := range []int64{woo.ID, shopify.ID} {
			if _, err := tx.ApplyItem(ctx, shopID, backorder.Item{ItemID: "1517", ProductID: "1500", StockKey: "1517",
				SKU: "LW-APRON-CHR", Title: "Apron — Charcoal", ContinueSelling: &yes, Quantity: &available,
				Version: backorder.Version{At: now}}); err != nil {
				return err
			}
		}
		if _, err := tx.ApplyLevel(ctx, woo.ID, backorder.StockLevel{StockKey: "1517", Available: &available,
			Version: backorder.Version{At: now}}); err != nil {
			return err
		}
		if _, err := tx.MarkItems(ctx, woo.ID, []string{"1517"}, now, "inbox:1"); err != nil {
			return err
		}
		return tx.SaveLedger(ctx, store.LedgerRow{ShopID: woo.ID, ItemID: "1517", Level: &available, LevelAt: &now,
			Projected: -2, Owed: 2, Waiting: 2, Shortfall: 2})
	}))
	var sent, unaddressed int64
	must(s.InTx(ctx, func(tx *store.Tx) (err error) {
		sent, _, err = tx.AddEmail(ctx, store.Email{ShopID: woo.ID, Kind: "backordered", DedupeKey: "order:48213:backordered:1",
			OrderID: "48213", ToEmail: "jordan@example.com", Subject: "Your order 48213", TextBody: "text", HTMLBody: "<p>html</p>",
			Data: "{}"})
		if err != nil {
			return err
		}
		if err := tx.SetEmailStatus(ctx, sent, store.EmailSent, "msg-1", ""); err != nil {
			return err
		}
		_, _, err = tx.AddEmail(ctx, store.Email{ShopID: woo.ID, Kind: "merchant_digest", DedupeKey: "digest:1",
			ToEmail: "owner@b.example", Subject: "Digest", Data: "{}", Status: store.EmailHeld, Reason: "no sender"})
		if err != nil {
			return err
		}
		// A message whose recipient a redaction erased.
		unaddressed, _, err = tx.AddEmail(ctx, store.Email{ShopID: woo.ID, Kind: "ready", DedupeKey: "order:1:ready",
			OrderID: "1", Subject: "Ready", Data: "{}", Status: store.EmailFailed, Reason: "400: bad address"})
		if err != nil {
			return err
		}
		// The sent message bounced: its address is suppressed.
		_, err = tx.ApplyEmailEvents(ctx, []store.EmailEvent{{SGMessageID: "msg-1.filter0", MessageID: "msg-1",
			EmailID: sent, Event: "bounce", Timestamp: now.Unix(), Reason: "550 no such user", Suppress: true}})
		return err
	}))
	var refused store.WriteBack
	must(s.InTx(ctx, func(tx *store.Tx) (err error) {
		if refused, _, err = tx.WantStoreWrite(ctx, woo.ID, store.StoreWriteOrder, "48213", `{}`, "h1"); err != nil {
			return err
		}
		_, _, err = tx.WantStoreWrite(ctx, woo.ID, store.StoreWriteSelling, "1517", `{}`, "h2")
		return err
	}))
	must(s.StoreWriteFailed(ctx, refused.ID, refused.WantedHash, "status 400: closed", true))
	return seeded{woo: woo.ID, shopify: shopify.ID, processed: processed, undecodable: undecodable, failed: failed,
		backorder: entries[0].ID, sent: sent, unaddressed: unaddressed, suppressed: "jordan@example.com"}
}

// driveReads reads everything seeded, and asks what each read refuses.
func (d *documentedAPI) driveReads() {
	d.t.Helper()
	for _, target := range []string{
		"/api/v1/openapi.json",
		"/api/v1/inbox", "/api/v1/inbox?shop=https://b.example/&topic=order.created&status=processed&limit=1&cursor=99",
		"/api/v1/privacy-requests?shop=a.myshopify.com",
		"/api/v1/backorders?shop=https://b.example/&sku=LW-APRON-CHR&item=1517&status=waiting&order=48213",
		"/api/v1/items?sku=LW-APRON-CHR&shop=https://b.example/",
		"/api/v1/items/1517?shop=https://b.example/",
		"/api/v1/items/1517?shop=a.myshopify.com", // never reconciled: no ledger
		"/api/v1/emails?kind=backordered&status=sent&to=jordan@example.com&order=48213", "/api/v1/emails",
		"/api/v1/store-writes?status=failed&kind=order", "/api/v1/store-writes",
		"/api/v1/shops",
	} {
		if a := d.call("GET", target, ""); a.status != http.StatusOK {
			d.t.Errorf("GET %s = %d %v, want 200", target, a.status, a.body)
		}
	}
	list := d.call("GET", "/api/v1/backorders", "")
	items, _ := list.body["items"].([]any)
	if len(items) != 1 {
		d.t.Fatalf("backorders = %v, want the one seeded", list.body)
	}
	backorder := "/api/v1/backorders/" + jsonID(items[0].(map[string]any)["id"])
	if a := d.call("GET", backorder, ""); a.status != http.StatusOK {
		d.t.Errorf("GET %s = %d, want 200", backorder, a.status)
	}
	emails := d.call("GET", "/api/v1/emails?status=sent", "")
	sent, _ := emails.body["items"].([]any)
	if len(sent) != 1 {
		d.t.Fatalf("sent emails = %v, want the one seeded", emails.body)
	}
	if a := d.call("GET", "/api/v1/emails/"+jsonID(sent[0].(map[string]any)["id"]), ""); a.status != http.StatusOK {
		d.t.Errorf("GET the sent email = %d, want 200", a.status)
	}
	for target, want := range map[string]int{
		"/api/v1/items/1517":             http.StatusBadRequest, // two shops have it
		"/api/v1/items?sku=LW-APRON-CHR": http.StatusBadRequest,
		"/api/v1/items":                  http.StatusBadRequest,
		"/api/v1/items?sku=NOPE":         http.StatusNotFound,
		"/api/v1/items/nope":             http.StatusNotFound,
		"/api/v1/inbox?status=lost":      http.StatusBadRequest,
		"/api/v1/emails?kind=nope":       http.StatusBadRequest,
		"/api/v1/emails?status=nope":     http.StatusBadRequest,
		"/api/v1/store-writes?kind=x":    http.StatusBadRequest,
	} {
		if a := d.call("GET", target, ""); a.status != want {
			d.t.Errorf("GET %s = %d %v, want %d", target, a.status, a.body, want)
		}
	}
}

// driveOperations acts on the seeded backorder, deliveries and emails:
// each action, and what each refuses.
func (d *documentedAPI) driveOperations(seed seeded) {
	d.t.Helper()
	backorder := "/api/v1/backorders/" + strconv.FormatInt(seed.backorder, 10)
	inbox := func(id int64) string { return "/api/v1/inbox/" + strconv.FormatInt(id, 10) + "/replay" }
	email := func(id int64) string { return "/api/v1/emails/" + strconv.FormatInt(id, 10) + "/resend" }
	// The dashboard's form, without JavaScript, posts the reason as a form.
	if a := d.call("POST", backorder+"/prioritize", "reason=asked+at+the+counter",
		"Content-Type", "application/x-www-form-urlencoded"); a.status != http.StatusOK {
		d.t.Errorf("prioritize from a form = %d %v, want 200", a.status, a.body)
	}
	for _, step := range []struct {
		what, method, target, body string
		want                       int
	}{
		{"prioritize without a reason", "POST", backorder + "/prioritize", `{}`, http.StatusUnprocessableEntity},
		{"cancel with an empty reason", "POST", backorder + "/cancel", `{"reason":""}`, http.StatusUnprocessableEntity},
		{"prioritize", "POST", backorder + "/prioritize", `{"reason":"ordered for a wedding on the 20th"}`, http.StatusOK},
		{"cancel", "POST", backorder + "/cancel", `{"reason":"the customer asked"}`, http.StatusOK},
		{"cancel again", "POST", backorder + "/cancel", `{"reason":"twice"}`, http.StatusConflict},
		{"prioritize what no longer waits", "POST", backorder + "/prioritize", `{"reason":"late"}`, http.StatusConflict},
		{"the backorder with its actions", "GET", backorder, "", http.StatusOK},
		{"operator actions", "GET", "/api/v1/operator-actions?shop=https://b.example/&backorder_id=" +
			strconv.FormatInt(seed.backorder, 10) + "&action=cancel", "", http.StatusOK},
		{"a cancelled backorder found by age and ETA", "GET", "/api/v1/backorders?status=cancelled&older_than=0s&eta_kind=confirmed", "", http.StatusOK},
		{"an age that is not one", "GET", "/api/v1/backorders?older_than=soon", "", http.StatusBadRequest},

		{"replay an applied delivery", "POST", inbox(seed.processed), "", http.StatusConflict},
		{"replay one still undecodable", "POST", inbox(seed.undecodable), "", http.StatusUnprocessableEntity},
		{"replay a dead letter", "POST", inbox(seed.failed), "", http.StatusAccepted},
		{"replay it again while queued", "POST", inbox(seed.failed), "", http.StatusAccepted},
		{"replay a range", "POST", "/api/v1/inbox/replay", `{"statuses":["failed","rejected"],"from_id":1,"to_id":100,"limit":10}`, http.StatusAccepted},
		{"replay a range of times", "POST", "/api/v1/inbox/replay", `{"shop":"https://b.example/","received_from":"2020-01-01T00:00:00Z","received_to":"2100-01-01T00:00:00Z"}`, http.StatusAccepted},
		{"replay without a range", "POST", "/api/v1/inbox/replay", `{"statuses":["failed"]}`, http.StatusUnprocessableEntity},
		{"replay a range of an unknown shop", "POST", "/api/v1/inbox/replay", `{"shop":"nowhere.example","from_id":1,"to_id":2}`, http.StatusNotFound},

		{"resend a sent email", "POST", email(seed.sent), "", http.StatusCreated},
		{"resend it again before the first resend went", "POST", email(seed.sent), "", http.StatusConflict},
		{"resend one without a recipient", "POST", email(seed.unaddressed), "", http.StatusUnprocessableEntity},
		{"the resends of an email", "GET", "/api/v1/emails?resend_of=" + strconv.FormatInt(seed.sent, 10), "", http.StatusOK},
	} {
		if a := d.call(step.method, step.target, step.body); a.status != step.want {
			d.t.Errorf("%s: %s %s = %d %v, want %d", step.what, step.method, step.target, a.status, a.body, step.want)
		}
	}
}

// driveShops registers, configures and connects shops as `backorderd
// shop` does, and asks what each step refuses.
func (d *documentedAPI) driveShops(seed seeded) {
	d.t.Helper()
	added := d.call("POST", "/api/v1/shops", `{"platform":"woocommerce","domain":"https://c.example/","name":"Cellar",
		"merchant_email":"owner@c.example","time_zone":"America/Toronto","handling_days":2,"update_cadence_days":7,
		"template_ids":{"backordered":"d-123"},"waiting_cap":10,"reorder":"immediate","po_approval":"auto",
		"max_wait_days":30,"store_writes":"all","customer_note":true,"cancel_after_max_wait":false}`)
	if added.status != http.StatusCreated {
		d.t.Fatalf("add a shop = %d %v, want 201", added.status, added.body)
	}
	shop := "/api/v1/shops/" + added.id("shop.id")
	woo := "/api/v1/shops/" + strconv.FormatInt(seed.woo, 10)
	shopify := "/api/v1/shops/" + strconv.FormatInt(seed.shopify, 10)
	secret, _ := added.body["webhook_secret"].(string)
	for _, step := range []struct {
		what, method, target, body string
		want                       int
	}{
		{"add it again", "POST", "/api/v1/shops", `{"platform":"woocommerce","domain":"https://c.example/"}`, http.StatusConflict},
		{"a Shopify shop without its secret", "POST", "/api/v1/shops", `{"platform":"shopify","domain":"x.myshopify.com"}`, http.StatusUnprocessableEntity},
		{"a setting of the wrong type", "POST", "/api/v1/shops", `{"platform":"woocommerce","domain":"https://d.example/","handling_days":"two"}`, http.StatusUnprocessableEntity},
		{"get it", "GET", shop, "", http.StatusOK},
		{"give a sender: held mail goes", "PATCH", woo, `{"from_email":"shop@b.example","store_writes":["tag","eta"],"max_wait_days":null}`, http.StatusOK},
		{"a time zone that is not one", "PATCH", woo, `{"time_zone":"Mars/Olympus"}`, http.StatusUnprocessableEntity},
		{"rotate to a generated secret", "POST", shop + "/secrets", `{}`, http.StatusCreated},
		{"rotate to a secret of the merchant's", "POST", shop + "/secrets", `{"webhook_secret":"` + secret + `-2"}`, http.StatusCreated},
		{"rotate to the current one", "POST", shop + "/secrets", `{"webhook_secret":"` + secret + `-2"}`, http.StatusConflict},
		{"a Shopify rotation without a secret", "POST", shopify + "/secrets", `{}`, http.StatusUnprocessableEntity},
		{"drop the previous secret", "DELETE", shop + "/secrets/previous", "", http.StatusOK},
		{"drop it again", "DELETE", shop + "/secrets/previous", "", http.StatusNotFound},
		{"cap an item", "PUT", woo + "/items/1517/cap", `{"waiting_cap":5}`, http.StatusOK},
		{"follow the shop's cap again", "PUT", woo + "/items/1517/cap", `{"waiting_cap":null}`, http.StatusOK},
		{"a negative cap", "PUT", woo + "/items/1517/cap", `{"waiting_cap":-1}`, http.StatusUnprocessableEntity},
		{"clear a bounce", "DELETE", woo + "/suppressions/" + seed.suppressed, "", http.StatusNoContent},
		{"clear it again", "DELETE", woo + "/suppressions/" + seed.suppressed, "", http.StatusNotFound},
		{"connect without credentials", "POST", shop + "/connect", "", http.StatusConflict},
		{"credentials of the other platform", "PUT", shop + "/credentials", `{"shopify_token":"shpat_x"}`, http.StatusUnprocessableEntity},
		{"give credentials", "PUT", shop + "/credentials", `{"woo_key":"ck_0123456789","woo_secret":"cs_0123456789"}`, http.StatusOK},
		{"connect", "POST", shop + "/connect", "", http.StatusAccepted},
		{"forget the credentials", "DELETE", shop + "/credentials", "", http.StatusOK},
		{"reactivate an active shop", "PATCH", shop, `{"reactivate":true,"name":"Cellar & Co"}`, http.StatusOK},
	} {
		if a := d.call(step.method, step.target, step.body); a.status != step.want {
			d.t.Errorf("%s: %s %s = %d %v, want %d", step.what, step.method, step.target, a.status, a.body, step.want)
		}
	}
	// Without SECRETS_KEY no credentials can be kept.
	sealer := d.sealer
	d.sealer = nil
	d.mount(d.st)
	if a := d.call("PUT", shop+"/credentials", `{"woo_key":"ck_0123456789","woo_secret":"cs_0123456789"}`); a.status != http.StatusConflict {
		d.t.Errorf("credentials without SECRETS_KEY = %d %v, want 409", a.status, a.body)
	}
	d.sealer = sealer
	d.mount(d.st)
}

// driveSupply adds suppliers and terms and takes purchase orders through
// their life, and through what each step refuses.
func (d *documentedAPI) driveSupply() {
	d.t.Helper()
	want := func(a answer, status int, what string) answer {
		d.t.Helper()
		if a.status != status {
			d.t.Fatalf("%s = %d %v, want %d", what, a.status, a.body, status)
		}
		return a
	}
	linen := want(d.call("POST", "/api/v1/suppliers", `{"name":"Linen Co","email":"po@linen.example","channel":"email","lead_time_days":10}`),
		http.StatusCreated, "add an email supplier")
	want(d.call("POST", "/api/v1/suppliers", `{"name":"Copperworks","email":"ops@copper.example","channel":"http","url":"https://copper.example/po","currency":"EUR"}`),
		http.StatusCreated, "add an http supplier (its secret shown once)")
	want(d.call("POST", "/api/v1/suppliers", `{"name":"Linen Co","channel":"email","email":"x@linen.example"}`),
		http.StatusConflict, "a name taken")
	want(d.call("POST", "/api/v1/suppliers", `{"name":"Post","channel":"pigeon"}`), http.StatusUnprocessableEntity, "an unknown channel")
	supplier := "/api/v1/suppliers/" + linen.id("id")
	want(d.call("GET", "/api/v1/suppliers?limit=1", ""), http.StatusOK, "list suppliers")
	want(d.call("GET", supplier, ""), http.StatusOK, "get a supplier")
	want(d.call("PATCH", supplier, `{"lead_time_days":12}`), http.StatusOK, "change a supplier")
	want(d.call("PATCH", supplier, `{"name":"Copperworks"}`), http.StatusConflict, "rename onto another")
	want(d.call("PATCH", supplier, `{"lead_time_days":-1}`), http.StatusUnprocessableEntity, "a negative lead time")

	terms := "/api/v1/items/1517/suppliers/" + linen.id("id")
	want(d.call("PUT", terms+"?shop=https://b.example/", `{"supplier_sku":"LC-APR-9","unit_cost":"12.50","moq":10,"pack_size":5,"lead_time_days":7,"safety_stock":1,"preferred":true}`),
		http.StatusOK, "put terms")
	want(d.call("PUT", terms+"?shop=https://b.example/", `{"unit_cost":12.5}`), http.StatusUnprocessableEntity, "money as a number")
	want(d.call("PUT", terms, `{"unit_cost":"1"}`), http.StatusBadRequest, "terms without a shop where there are two")
	want(d.call("GET", "/api/v1/items/1517?shop=https://b.example/", ""), http.StatusOK, "the item with its terms")
	want(d.call("DELETE", terms, ""), http.StatusBadRequest, "delete terms without a shop")
	want(d.call("DELETE", terms+"?shop=https://b.example/", ""), http.StatusNoContent, "delete terms")
	want(d.call("DELETE", terms+"?shop=https://b.example/", ""), http.StatusNotFound, "delete them again")
	want(d.call("PUT", terms+"?shop=https://b.example/", `{"unit_cost":"12.50"}`), http.StatusOK, "put terms back")

	// A draft of 10 aprons from Linen Co, approved, confirmed, partly
	// received, received again under the same receipt id, then a second
	// draft cancelled.
	draft := func() string {
		d.t.Helper()
		return "/api/v1/purchase-orders/" + draftPOFor(d.t, d.st, linen.id("id"))
	}
	po := draft()
	want(d.call("GET", "/api/v1/purchase-orders?shop=https://b.example/&supplier_id="+linen.id("id")+"&status=draft", ""), http.StatusOK, "list orders")
	want(d.call("POST", po+"/confirm", `{"expected_at":"2026-12-15"}`), http.StatusConflict, "confirm a draft")
	want(d.call("POST", po+"/receipts", `{"receipt_id":"dock-1","lines":[{"item_id":"1517","quantity":4}]}`), http.StatusConflict, "receive a draft")
	want(d.call("POST", po+"/approve", ""), http.StatusOK, "approve")
	want(d.call("POST", po+"/approve", ""), http.StatusConflict, "approve again")
	want(d.call("POST", po+"/confirm", `{"expected_at":"2026-12-15","lines":[{"item_id":"1517","quantity":12,"expected_at":"2026-12-20"}]}`),
		http.StatusOK, "confirm")
	want(d.call("POST", po+"/confirm", `{"expected_at":"15/12/2026"}`), http.StatusUnprocessableEntity, "a date that is not one")
	want(d.call("POST", po+"/receipts", `{"receipt_id":"dock-1","lines":[{"item_id":"1517","quantity":4}]}`), http.StatusCreated, "receive")
	want(d.call("POST", po+"/receipts", `{"receipt_id":"dock-1","lines":[{"item_id":"1517","quantity":4}]}`), http.StatusOK, "the same receipt")
	want(d.call("POST", po+"/receipts", `{"receipt_id":"dock-2","lines":[{"item_id":"1517","quantity":40}]}`), http.StatusUnprocessableEntity, "over-receive")
	want(d.call("POST", po+"/receipts", `{"receipt_id":"dock-3","lines":[{"item_id":"1517","quantity":8}]}`), http.StatusCreated, "receive the rest")
	want(d.call("POST", po+"/cancel", `{"reason":"too late"}`), http.StatusConflict, "cancel a received order")
	want(d.call("GET", po, ""), http.StatusOK, "the order with its lines and trail")
	second := draft()
	want(d.call("POST", second+"/cancel", `{}`), http.StatusUnprocessableEntity, "cancel without a reason")
	want(d.call("POST", second+"/cancel", `{"reason":"found a cheaper linen"}`), http.StatusOK, "cancel")
}

// sweep sends every route's accepted request again: without the token,
// with a wrong one, from another site; with ids that are not ids and ids
// of nothing; to an unknown shop; with a page size out of range; with a
// body that is not JSON.
func (d *documentedAPI) sweep() {
	d.t.Helper()
	for _, key := range d.doc.keys() {
		op := d.doc.ops[key]
		if op.example == nil {
			d.t.Errorf("%s: no request of the test was accepted", key)
			continue
		}
		method, _, _ := strings.Cut(key, " ")
		ex := *op.example
		d.expect(key, d.call(method, ex.target, ex.body, "Authorization", ""), http.StatusUnauthorized)
		d.expect(key, d.call(method, ex.target, ex.body, "Authorization", "Bearer wrong-token-0123456789"), http.StatusUnauthorized)
		d.expect(key, d.call(method, ex.target, ex.body, "Authorization", "Basic b3BlcmF0b3I6Z3Vlc3M="), http.StatusUnauthorized)
		if _, refused := op.responses[http.StatusForbidden]; refused {
			d.expect(key, d.call(method, ex.target, ex.body, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"),
				http.StatusForbidden)
		}
		for name, p := range op.params {
			switch {
			case p.in == "path" && p.integer:
				d.expect(key, d.call(method, withPathParam(key, ex.target, p.name, "abc"), ex.body), http.StatusBadRequest)
				d.expect(key, d.call(method, withPathParam(key, ex.target, p.name, "999999"), ex.body), http.StatusNotFound)
			case name == "query:shop":
				d.expect(key, d.call(method, withQuery(ex.target, "shop", "nowhere.example"), ex.body), http.StatusNotFound)
			case name == "query:limit":
				d.expect(key, d.call(method, withQuery(ex.target, "limit", "0"), ex.body), http.StatusBadRequest)
			case p.in == "query" && p.enum != nil && method == http.MethodGet:
				d.checkEnum(key, ex.target, p)
			}
		}
		if op.body != nil {
			d.expect(key, d.call(method, ex.target, `{"not json`), http.StatusBadRequest)
		}
	}
}

// sweepDatabaseDown sends every route's accepted request to a store that
// is closed: 503, except the routes that need no database.
func (d *documentedAPI) sweepDatabaseDown() {
	d.t.Helper()
	for _, key := range d.doc.keys() {
		op := d.doc.ops[key]
		if op.example == nil {
			continue
		}
		method, _, _ := strings.Cut(key, " ")
		a := d.call(method, op.example.target, op.example.body)
		if _, documented := op.responses[http.StatusServiceUnavailable]; documented && a.status != http.StatusServiceUnavailable {
			d.t.Errorf("%s with the database down = %d %v, want 503", key, a.status, a.body)
		}
	}
}

// checkEnum: a list takes each value its documentation lists for a
// filter, and refuses another naming the values it takes, which are those
// documented.
func (d *documentedAPI) checkEnum(key, target string, p parameter) {
	d.t.Helper()
	for _, v := range p.enum {
		d.expect(key+" "+p.name+"="+v, d.call("GET", withQuery(target, p.name, v), ""), http.StatusOK)
	}
	a := d.call("GET", withQuery(target, p.name, "not-a-value"), "")
	_, msg := errorOf(a.body)
	_, values, ok := strings.Cut(msg, "must be one of ")
	taken := strings.Split(values, ", ")
	sort.Strings(taken)
	documented := slices.Sorted(slices.Values(p.enum))
	if a.status != http.StatusBadRequest || !ok || !slices.Equal(taken, documented) {
		d.t.Errorf("%s %s=not-a-value = %d %q, want 400 naming the documented values %v", key, p.name, a.status, msg, documented)
	}
}

func (d *documentedAPI) expect(key string, a answer, status int) {
	d.t.Helper()
	if a.status != status {
		d.t.Errorf("%s: %d %v, want %d", key, a.status, a.body, status)
	}
}

// draftPOFor drafts a purchase order of 10 of item 1517 for the shop at
// https://b.example/ from supplier, and returns its id.
func draftPOFor(t *testing.T, s *store.Store, supplier string) string {
	t.Helper()
	ctx := context.Background()
	shop, err := s.ShopByDomain(ctx, store.WooCommerce, "https://b.example/")
	if err != nil {
		t.Fatal(err)
	}
	supplierID, _ := strconv.ParseInt(supplier, 10, 64)
	var id int64
	err = s.InTx(ctx, func(tx *store.Tx) error {
		po, err := tx.DraftPO(ctx, shop.ID, supplierID, "USD")
		if err != nil {
			return err
		}
		id = po.ID
		return tx.AddToPOLine(ctx, po.ID, store.POLine{ItemID: "1517", SKU: "LW-APRON-CHR", Title: "Apron — Charcoal",
			SupplierSKU: "LC-APR-9", Quantity: 10, UnitCost: "12.50"})
	})
	if err != nil {
		t.Fatal(err)
	}
	return strconv.FormatInt(id, 10)
}

// keys lists the documented routes in order.
func (o *openAPI) keys() []string {
	keys := make([]string, 0, len(o.ops))
	for k := range o.ops {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// withPathParam is target with the path segment that the route key's
// {name} stands at replaced by value.
func withPathParam(key, target, name, value string) string {
	_, template, _ := strings.Cut(key, " ")
	path, query, _ := strings.Cut(target, "?")
	segs, tsegs := strings.Split(path, "/"), strings.Split(template, "/")
	for i := range tsegs {
		if tsegs[i] == "{"+name+"}" && i < len(segs) {
			segs[i] = value
		}
	}
	out := strings.Join(segs, "/")
	if query != "" {
		out += "?" + query
	}
	return out
}

// withQuery is target with its query parameter name set to value.
func withQuery(target, name, value string) string {
	path, query, _ := strings.Cut(target, "?")
	var kept []string
	for _, kv := range strings.Split(query, "&") {
		if kv != "" && !strings.HasPrefix(kv, name+"=") {
			kept = append(kept, kv)
		}
	}
	return path + "?" + strings.Join(append(kept, name+"="+value), "&")
}
