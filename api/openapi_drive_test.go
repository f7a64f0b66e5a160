package api_test

import (
	"net/http"
	"strconv"
)

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
