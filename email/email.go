// Package email says what each message backorderd sends says: the kinds of
// email, the data each is rendered from, and the built-in templates (plain
// text and HTML, embedded in the binary). It neither sends nor stores.
package email

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strconv"
	"strings"
	texttemplate "text/template"
)

// Kind names a message.
type Kind string

// Customer emails: one per order, listing every line the message concerns.
const (
	Backordered  Kind = "backordered"   // lines went on backorder: what waits, ETA, policy, choices
	ETAChanged   Kind = "eta_changed"   // the ETA moved by a day or more
	StatusUpdate Kind = "status_update" // every N days while anything waits
	Ready        Kind = "ready"         // units allocated: (partly) ready, shipping soon
	Delayed      Kind = "delayed"       // the ETA passed with nothing received
	Cancelled    Kind = "cancelled"     // by the merchant, by policy, or the supplier could not deliver
	WaitExceeded Kind = "wait_exceeded" // the shop's maximum wait passed with lines still waiting
)

// Merchant emails.
const (
	NewBackorders   Kind = "merchant_new_backorders" // gathered over a window
	CapReached      Kind = "merchant_cap_reached"
	PrivacyDocument Kind = "merchant_privacy_document"
	Bounced         Kind = "merchant_bounced" // a customer address bounced: no more mail to it until cleared
	Digest          Kind = "merchant_digest"  // daily, in the shop's time zone
	// MerchantPOOverdue: a purchase order passed its expected date not
	// fully received.
	MerchantPOOverdue = Kind("merchant_po_overdue")
	// MerchantSupplyNeeded: an item waits and cannot be reordered (no
	// supplier, or the preferred one cancelled and there is no alternate).
	MerchantSupplyNeeded = Kind("merchant_supply_needed")
	// MerchantWaitExceeded: orders waited past the shop's maximum wait.
	MerchantWaitExceeded = Kind("merchant_wait_exceeded")
	// MerchantWebhooksSilent: the store stopped sending a webhook topic
	// while polling still finds orders.
	MerchantWebhooksSilent = Kind("merchant_webhooks_silent")
	// MerchantWebhooksReenabled: connecting the shop found webhooks the
	// store had disabled, and enabled them again.
	MerchantWebhooksReenabled = Kind("merchant_webhooks_reenabled")
)

// SupplierPurchaseOrder is a purchase order to a supplier on the email
// channel: the lines as a table, and as a CSV attachment.
const SupplierPurchaseOrder Kind = "supplier_purchase_order"

// Kinds lists every kind with a built-in template.
var Kinds = []Kind{Backordered, ETAChanged, StatusUpdate, Ready, Delayed, Cancelled, WaitExceeded, NewBackorders,
	CapReached, PrivacyDocument, Bounced, Digest, MerchantPOOverdue, MerchantSupplyNeeded, MerchantWaitExceeded,
	SupplierPurchaseOrder, MerchantWebhooksSilent, MerchantWebhooksReenabled}

// KindNames are Kinds as strings, in the same order: for checking and
// listing them in messages.
func KindNames() []string {
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
	}
	return names
}

// Shop is what a message shows of the shop that sends it.
type Shop struct {
	Name            string `json:"name"`
	Domain          string `json:"domain"`
	ReplyTo         string `json:"reply_to"`
	BackorderPolicy string `json:"backorder_policy,omitempty"`
	Incentive       string `json:"incentive,omitempty"`
}

// Line is one order line a customer message concerns.
type Line struct {
	// LineID is the store's id of the line: a confirmation names the lines
	// it announced, so a line that starts waiting later gets its own.
	LineID string `json:"line_id,omitempty"`
	Title  string `json:"title"`
	SKU    string `json:"sku"`
	// Ordered units of the line; Backordered of them went on backorder
	// (the rest came from stock), Allocated of those have arrived since,
	// Waiting still wait, and Cancelled (a Cancelled message) will not come.
	Ordered     int `json:"ordered"`
	Backordered int `json:"backordered"`
	Waiting     int `json:"waiting"`
	Allocated   int `json:"allocated"`
	Cancelled   int `json:"cancelled,omitempty"`
	// ETA is the expected ship date (2006-01-02) or "" for "we will tell
	// you"; ETAKind says how sure it is: "confirmed" (a supplier confirmed
	// the order that covers it), "expected" (an order was sent, not yet
	// confirmed), "estimate" (nothing is ordered yet: the supplier's lead
	// time), "unknown" or "" (no date is shown, whatever ETA says).
	ETA     string `json:"eta,omitempty"`
	ETAKind string `json:"eta_kind,omitempty"`
}

// Ready is the line's units ready to ship: those that came from stock
// (ordered less backordered) and those allocated since.
func (l Line) Ready() int { return max(l.Ordered-l.Backordered, 0) + l.Allocated }

// Order is the data of a customer message.
type Order struct {
	Shop         Shop   `json:"shop"`
	OrderName    string `json:"order_name"` // "#2417", as the customer knows it
	CustomerName string `json:"customer_name,omitempty"`
	Lines        []Line `json:"lines"`
	// AllReady is set on a Ready message when nothing waits any more.
	AllReady bool `json:"all_ready,omitempty"`
	// OldETA is the ETA a Delayed or ETAChanged message replaces.
	OldETA string `json:"old_eta,omitempty"`
	// Reason says why a Cancelled message's lines were cancelled.
	Reason string `json:"reason,omitempty"`
	// MaxWaitDays is the shop's maximum wait a WaitExceeded message says
	// has passed.
	MaxWaitDays int `json:"max_wait_days,omitempty"`
}

// Waits reports whether any line of the message still waits: only then
// does it offer to cancel what waits.
func (o Order) Waits() bool {
	for _, l := range o.Lines {
		if l.Waiting > 0 {
			return true
		}
	}
	return false
}

// Message is a rendered email.
type Message struct {
	Subject string
	Text    string
	HTML    string
	// Attachments are the files the kind sends with it (a supplier
	// purchase order's CSV), nil for most kinds.
	Attachments []Attachment
}

// Attachment is a file sent with a message. As JSON its content is base64.
type Attachment struct {
	Filename string `json:"filename"`
	Type     string `json:"type"`
	Content  []byte `json:"content"`
}

//go:embed templates
var templates embed.FS

var (
	funcs         = map[string]any{"eta": eta, "count": count}
	textTemplates = texttemplate.Must(texttemplate.New("").Funcs(funcs).ParseFS(templates, "templates/*.txt"))
	htmlTemplates = htmltemplate.Must(htmltemplate.New("").Funcs(funcs).ParseFS(templates, "templates/*.html"))
)

// Render renders a kind's built-in templates with data: the subject is the
// text template's "subject" block.
func Render(kind Kind, data any) (Message, error) {
	var subject, text, html bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&subject, string(kind)+".subject", data); err != nil {
		return Message{}, fmt.Errorf("render %s subject: %w", kind, err)
	}
	if err := textTemplates.ExecuteTemplate(&text, string(kind)+".txt", data); err != nil {
		return Message{}, fmt.Errorf("render %s text: %w", kind, err)
	}
	if err := htmlTemplates.ExecuteTemplate(&html, string(kind)+".html", data); err != nil {
		return Message{}, fmt.Errorf("render %s html: %w", kind, err)
	}
	m := Message{Subject: strings.TrimSpace(subject.String()), Text: text.String(), HTML: html.String()}
	if kind == SupplierPurchaseOrder {
		a, err := purchaseOrderAttachment(data)
		if err != nil {
			return Message{}, fmt.Errorf("render %s attachment: %w", kind, err)
		}
		m.Attachments = []Attachment{a}
	}
	return m, nil
}

// eta is a line's ETA as a customer reads it, as sure as it is: a date
// only with a kind that says where it comes from.
func eta(date, kind string) string {
	switch {
	case date == "":
	case kind == "confirmed":
		return "confirmed by the supplier for " + date
	case kind == "expected":
		return "expected around " + date
	case kind == "estimate":
		return "estimated around " + date
	}
	return "we will tell you as soon as we know"
}

// count is n and its noun, singular for one: "1 order", "3 units".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// ItemCount is one item in a merchant message.
type ItemCount struct {
	SKU    string `json:"sku"`
	Title  string `json:"title"`
	Orders int    `json:"orders"`
	Units  int    `json:"units"`
}

// Merchant is the data of a merchant message.
type Merchant struct {
	Shop Shop `json:"shop"`
	// Window is the period a NewBackorders message gathers, as text.
	Window string      `json:"window,omitempty"`
	Items  []ItemCount `json:"items,omitempty"`
	// Cap and Waiting describe a CapReached message's item (Items[0]).
	Cap     int `json:"cap,omitempty"`
	Waiting int `json:"waiting,omitempty"`
	// Document is a privacy request's customer data, indented JSON.
	Document  string `json:"document,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	// Address and Reason describe a Bounced message's customer address.
	Address string `json:"address,omitempty"`
	Reason  string `json:"reason,omitempty"`
	// Date and Digest are a Digest message's day and items; OpenPOs,
	// OverduePOs and SlippingETAs its supply sections, each shown only
	// when it has something.
	Date         string        `json:"date,omitempty"`
	Digest       []DigestLine  `json:"digest,omitempty"`
	OpenPOs      int           `json:"open_pos,omitempty"`
	OverduePOs   []POSummary   `json:"overdue_pos,omitempty"`
	SlippingETAs []SlippingETA `json:"slipping_etas,omitempty"`
	// PO is a MerchantPOOverdue message's purchase order; Items its lines
	// still due (Units), with the orders waiting on them (Orders).
	PO *POSummary `json:"purchase_order,omitempty"`
	// MaxWaitDays and Orders are a MerchantWaitExceeded message's wait and
	// the orders that waited longer. (A MerchantSupplyNeeded message's item
	// is Items[0], its units Waiting, why it cannot be reordered Reason.)
	MaxWaitDays int         `json:"max_wait_days,omitempty"`
	Orders      []LateOrder `json:"orders,omitempty"`
	// Cancelling: the MerchantWaitExceeded message's orders are being
	// cancelled (and refunded) in the store.
	Cancelling bool `json:"cancelling,omitempty"`
	// Topics are the webhook topics a MerchantWebhooksSilent or
	// MerchantWebhooksReenabled message is about; Since (RFC 3339) the
	// last webhook before a silence of Hours, and Missed the orders
	// polling found placed since.
	Topics []string `json:"topics,omitempty"`
	Since  string   `json:"since,omitempty"`
	Hours  int      `json:"hours,omitempty"`
	Missed int      `json:"missed,omitempty"`
}

// DigestLine is one item of a daily digest.
type DigestLine struct {
	SKU        string `json:"sku"`
	Title      string `json:"title"`
	Waiting    int    `json:"waiting"`
	Orders     int    `json:"orders"`
	OldestDays int    `json:"oldest_wait_days"`
	Demand7    int    `json:"demand_7_days"`
	Demand30   int    `json:"demand_30_days"`
	Shortfall  int    `json:"shortfall"`
	Drift      int    `json:"drift_corrected"`
}
