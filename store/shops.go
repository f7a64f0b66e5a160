package store

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Platform names a store platform.
type Platform string

// The platforms backorderd serves.
const (
	Shopify     Platform = "shopify"
	WooCommerce Platform = "woocommerce"
)

// A shop's statuses: an uninstalled shop is kept (its secret verifies the
// shop/redact that follows), but no work is done for it.
const (
	ShopActive      = "active"
	ShopUninstalled = "uninstalled"
)

// Shop is one store that sends webhooks, with the settings its emails use.
type Shop struct {
	ID       int64    `db:"id"`
	Platform Platform `db:"platform"`
	// Domain is the *.myshopify.com domain of a Shopify shop, or the store
	// URL of a WooCommerce shop (as X-WC-Webhook-Source sends it, with its
	// trailing slash).
	Domain string `db:"domain"`
	Name   string `db:"name"`
	// WebhookSecret signs deliveries; WebhookSecretPrevious is still
	// accepted while the store rotates to the new one.
	WebhookSecret         string `db:"webhook_secret"`
	WebhookSecretPrevious string `db:"webhook_secret_previous"`
	MerchantEmail         string `db:"merchant_email"`
	FromEmail             string `db:"from_email"`
	ReplyTo               string `db:"reply_to"`
	TimeZone              string `db:"time_zone"`
	HandlingDays          int    `db:"handling_days"`
	BackorderPolicy       string `db:"backorder_policy"`
	Incentive             string `db:"incentive"`
	UpdateCadenceDays     int    `db:"update_cadence_days"`
	// TemplateIDs is a JSON object from email kind to SendGrid dynamic
	// template id.
	TemplateIDs string `db:"template_ids"`
	// WaitingCap is the shop's default cap on an item's waiting units
	// (nil: none); an item may override it.
	WaitingCap *int `db:"waiting_cap"`
	// Reorder says when items are reordered: ReorderPeriodic, or
	// ReorderImmediate (also right after a reconcile raises an item's
	// waiting units).
	Reorder string `db:"reorder"`
	// POApproval says whether a draft purchase order waits for the
	// merchant's approval (POApprovalManual) or is sent at once
	// (POApprovalAuto).
	POApproval string `db:"po_approval"`
	// MaxWaitDays is how long a customer may wait before the customer and
	// the merchant are told (nil: no limit).
	MaxWaitDays *int `db:"max_wait_days"`
	// WritesOff lists the writes to the store the shop has turned off,
	// comma-separated (see StoreWrites); every other write is on once the
	// shop has store credentials.
	WritesOff string `db:"writes_off"`
	// CustomerNote makes WooCommerce's order note visible to the customer.
	CustomerNote bool `db:"customer_note"`
	// CancelAfterMaxWait cancels (and refunds) in the store an order whose
	// line waited past MaxWaitDays.
	CancelAfterMaxWait bool       `db:"cancel_after_max_wait"`
	Status             string     `db:"status"` // ShopActive or ShopUninstalled
	UninstalledAt      *time.Time `db:"uninstalled_at"`
	CreatedAt          time.Time  `db:"created_at"`
	UpdatedAt          time.Time  `db:"updated_at"`
}

// A shop's reorder settings.
const (
	ReorderPeriodic  = "periodic"
	ReorderImmediate = "immediate"
	POApprovalManual = "manual"
	POApprovalAuto   = "auto"
)

// The writes backorderd makes to a store with credentials, each of which a
// shop may turn off.
const (
	WriteTag     = "tag"     // Shopify: the order tag `backordered` while a line waits
	WriteHold    = "hold"    // Shopify: the fulfillment hold on waiting lines
	WriteETA     = "eta"     // Shopify's metafield and note line, WooCommerce's order note
	WriteStatus  = "status"  // WooCommerce: on-hold while a line waits
	WriteSelling = "selling" // stop selling at the cap (DENY / backorders "no") and resume below it
	WriteStock   = "stock"   // a purchase-order receipt added to the store's stock
)

// StoreWrites lists every write a shop can turn off, in the order they are
// shown.
var StoreWrites = []string{WriteTag, WriteHold, WriteETA, WriteStatus, WriteSelling, WriteStock}

// Writes reports whether the shop wants the named write made.
func (s Shop) Writes(name string) bool {
	for off := range strings.SplitSeq(s.WritesOff, ",") {
		if strings.TrimSpace(off) == name {
			return false
		}
	}
	return true
}

// Secrets lists the secrets a delivery may be signed with, newest first.
func (s Shop) Secrets() []string {
	if s.WebhookSecretPrevious == "" {
		return []string{s.WebhookSecret}
	}
	return []string{s.WebhookSecret, s.WebhookSecretPrevious}
}

// NewShop is a shop with the default settings: UTC, one handling day and a
// status update every seven days while anything waits.
func NewShop(platform Platform, domain, secret string) Shop {
	return Shop{
		Platform:          platform,
		Domain:            domain,
		WebhookSecret:     secret,
		TimeZone:          "UTC",
		HandlingDays:      1,
		UpdateCadenceDays: 7,
		TemplateIDs:       "{}",
		Reorder:           ReorderPeriodic,
		POApproval:        POApprovalManual,
	}
}

// NormalizeDomain is the form a shop's domain is stored and looked up in,
// the one the platform sends, whichever way a person wrote it: a Shopify
// domain in lower case without scheme or path (X-Shopify-Shop-Domain); a
// WooCommerce store URL with its scheme (https:// when none is written) and
// host in lower case and one trailing slash (X-WC-Webhook-Source).
func NormalizeDomain(platform Platform, domain string) string {
	d := strings.TrimSpace(domain)
	if platform != WooCommerce {
		d = strings.ToLower(d)
		if _, rest, ok := strings.Cut(d, "://"); ok {
			d = rest
		}
		d, _, _ = strings.Cut(d, "/")
		return d
	}
	if !strings.Contains(d, "://") {
		d = "https://" + d
	}
	u, err := url.Parse(d)
	if err != nil || u.Host == "" {
		return strings.TrimSpace(domain)
	}
	u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	u.Path = strings.TrimRight(u.Path, "/") + "/"
	u.RawQuery, u.Fragment = "", ""
	return u.String()
}

// CheckDomain says why domain, normalised, can never match a delivery's
// shop header on platform, showing the form wanted; nil when it can.
func CheckDomain(platform Platform, domain string) error {
	d := NormalizeDomain(platform, domain)
	if platform != WooCommerce {
		name, ok := strings.CutSuffix(d, ".myshopify.com")
		if !ok || name == "" || strings.ContainsAny(name, " .:@?#") {
			return fmt.Errorf("%q is not a *.myshopify.com domain (want the shop's own, for example your-shop.myshopify.com, "+
				"as Shopify sends it in X-Shopify-Shop-Domain)", domain)
		}
		return nil
	}
	u, err := url.Parse(d)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return fmt.Errorf("%q is not a store URL (want the store's home URL, for example https://your-store.example/, "+
			"as WooCommerce sends it in X-WC-Webhook-Source)", domain)
	}
	return nil
}

const shopColumns = `id, platform, domain, name, webhook_secret, webhook_secret_previous,
	merchant_email, from_email, reply_to, time_zone, handling_days, backorder_policy,
	incentive, update_cadence_days, template_ids, waiting_cap, reorder, po_approval, max_wait_days,
	writes_off, customer_note, cancel_after_max_wait, status, uninstalled_at, created_at, updated_at`

// AddShop registers a shop; ErrDuplicate when (platform, domain) exists.
func (s *Store) AddShop(ctx context.Context, shop Shop) (Shop, error) {
	const q = `INSERT INTO shops (platform, domain, name, webhook_secret, webhook_secret_previous,
		merchant_email, from_email, reply_to, time_zone, handling_days, backorder_policy,
		incentive, update_cadence_days, template_ids, waiting_cap, reorder, po_approval, max_wait_days,
		writes_off, customer_note, cancel_after_max_wait, status, created_at, updated_at)
	VALUES (:platform, :domain, :name, :webhook_secret, :webhook_secret_previous,
		:merchant_email, :from_email, :reply_to, :time_zone, :handling_days, :backorder_policy,
		:incentive, :update_cadence_days, :template_ids, :waiting_cap, :reorder, :po_approval, :max_wait_days,
		:writes_off, :customer_note, :cancel_after_max_wait, 'active', :created_at, :updated_at)
	RETURNING id`
	shop = withShopDefaults(shop)
	shop.Domain = NormalizeDomain(shop.Platform, shop.Domain)
	shop.CreatedAt = s.nowUTC()
	shop.UpdatedAt = shop.CreatedAt
	shop.Status = ShopActive
	stmt, args, err := s.db.BindNamed(q, shop)
	if err != nil {
		return Shop{}, fmt.Errorf("bind add shop: %w", err)
	}
	if err := s.db.QueryRowxContext(ctx, stmt, args...).Scan(&shop.ID); err != nil {
		return Shop{}, fmt.Errorf("add shop %s %s: %w", shop.Platform, shop.Domain, translate(err))
	}
	return shop, nil
}

// UpdateShop writes every setting of shop (found by its ID). What it
// writes was read before: a change made in between is overwritten, so a
// change an operator asks for goes through ModifyShop.
func (s *Store) UpdateShop(ctx context.Context, shop Shop) (Shop, error) {
	shop = withShopDefaults(shop)
	shop.UpdatedAt = s.nowUTC()
	res, err := s.db.NamedExecContext(ctx, updateShopQuery, shop)
	if err != nil {
		return Shop{}, fmt.Errorf("update shop %d: %w", shop.ID, translate(err))
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return Shop{}, fmt.Errorf("update shop %d: %w", shop.ID, ErrNotFound)
	}
	return s.Shop(ctx, shop.ID)
}

const updateShopQuery = `UPDATE shops SET name = :name, webhook_secret = :webhook_secret,
		webhook_secret_previous = :webhook_secret_previous, merchant_email = :merchant_email,
		from_email = :from_email, reply_to = :reply_to, time_zone = :time_zone,
		handling_days = :handling_days, backorder_policy = :backorder_policy,
		incentive = :incentive, update_cadence_days = :update_cadence_days,
		template_ids = :template_ids, waiting_cap = :waiting_cap, reorder = :reorder,
		po_approval = :po_approval, max_wait_days = :max_wait_days, writes_off = :writes_off,
		customer_note = :customer_note, cancel_after_max_wait = :cancel_after_max_wait, updated_at = :updated_at
	WHERE id = :id`

// ModifyShop changes shop id by change and writes every setting, reading
// and writing it in one transaction that holds the shop's row: two
// changes at once (a settings change and a secret rotation) run one after
// the other, and neither writes back what the other replaced. An error of
// change is returned as it is, and nothing is written; ErrNotFound when
// there is no shop id. change may run again if the transaction is retried.
func (s *Store) ModifyShop(ctx context.Context, id int64, change func(*Shop) error) (Shop, error) {
	err := s.InTx(ctx, func(tx *Tx) error {
		q := `SELECT ` + shopColumns + ` FROM shops WHERE id = ?` + s.forUpdate()
		var shop Shop
		if err := tx.tx.GetContext(ctx, &shop, tx.tx.Rebind(q), id); err != nil {
			return fmt.Errorf("shop %d: %w", id, translate(err))
		}
		before := shop
		if err := change(&shop); err != nil {
			return err
		}
		if withShopDefaults(shop) == withShopDefaults(before) {
			return nil // nothing changed: nothing written
		}
		shop = withShopDefaults(shop)
		shop.ID, shop.UpdatedAt = id, s.nowUTC()
		if _, err := tx.tx.NamedExecContext(ctx, updateShopQuery, shop); err != nil {
			return fmt.Errorf("update shop %d: %w", id, translate(err))
		}
		return nil
	})
	if err != nil {
		return Shop{}, err
	}
	return s.Shop(ctx, id)
}

// Shop reads one shop by id.
func (s *Store) Shop(ctx context.Context, id int64) (Shop, error) {
	const q = `SELECT ` + shopColumns + ` FROM shops WHERE id = ?`
	var shop Shop
	if err := s.db.GetContext(ctx, &shop, s.db.Rebind(q), id); err != nil {
		return Shop{}, fmt.Errorf("shop %d: %w", id, translate(err))
	}
	return shop, nil
}

// Shop reads one shop inside the transaction.
func (tx *Tx) Shop(ctx context.Context, id int64) (Shop, error) {
	const q = `SELECT ` + shopColumns + ` FROM shops WHERE id = ?`
	var shop Shop
	if err := tx.tx.GetContext(ctx, &shop, tx.tx.Rebind(q), id); err != nil {
		return Shop{}, fmt.Errorf("shop %d: %w", id, translate(err))
	}
	return shop, nil
}

// ShopByDomain reads one shop by platform and domain (or store URL).
func (s *Store) ShopByDomain(ctx context.Context, platform Platform, domain string) (Shop, error) {
	const q = `SELECT ` + shopColumns + ` FROM shops WHERE platform = ? AND domain = ?`
	var shop Shop
	domain = NormalizeDomain(platform, domain)
	if err := s.db.GetContext(ctx, &shop, s.db.Rebind(q), platform, domain); err != nil {
		return Shop{}, fmt.Errorf("shop %s %s: %w", platform, domain, translate(err))
	}
	return shop, nil
}

// Shops lists every shop, oldest first.
func (s *Store) Shops(ctx context.Context) ([]Shop, error) {
	const q = `SELECT ` + shopColumns + ` FROM shops ORDER BY id`
	var shops []Shop
	if err := s.db.SelectContext(ctx, &shops, q); err != nil {
		return nil, fmt.Errorf("list shops: %w", translate(err))
	}
	return shops, nil
}

func withShopDefaults(shop Shop) Shop {
	if shop.TimeZone == "" {
		shop.TimeZone = "UTC"
	}
	if shop.TemplateIDs == "" {
		shop.TemplateIDs = "{}"
	}
	if shop.Reorder == "" {
		shop.Reorder = ReorderPeriodic
	}
	if shop.POApproval == "" {
		shop.POApproval = POApprovalManual
	}
	return shop
}

// ActiveShops lists the shops whose work has not stopped.
func (tx *Tx) ActiveShops(ctx context.Context) ([]Shop, error) {
	const q = `SELECT ` + shopColumns + ` FROM shops WHERE status = 'active' ORDER BY id`
	var shops []Shop
	if err := tx.tx.SelectContext(ctx, &shops, q); err != nil {
		return nil, fmt.Errorf("active shops: %w", translate(err))
	}
	return shops, nil
}

// UninstallShop marks the shop uninstalled: its work stops, and it is kept,
// since its secret verifies the shop/redact that follows.
func (tx *Tx) UninstallShop(ctx context.Context, id int64) error {
	const q = `UPDATE shops SET status = 'uninstalled', uninstalled_at = ?, updated_at = ? WHERE id = ? AND status = 'active'`
	now := tx.store.nowUTC()
	if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), now, now, id); err != nil {
		return fmt.Errorf("uninstall shop %d: %w", id, translate(err))
	}
	return nil
}

// ReactivateShop resumes work for a shop that was uninstalled (the app was
// installed again).
func (s *Store) ReactivateShop(ctx context.Context, id int64) error {
	const q = `UPDATE shops SET status = 'active', uninstalled_at = NULL, updated_at = ? WHERE id = ?`
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(q), s.nowUTC(), id); err != nil {
		return fmt.Errorf("reactivate shop %d: %w", id, translate(err))
	}
	return nil
}
