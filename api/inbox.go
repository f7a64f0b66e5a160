package api

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/store"
)

// AdminStore is the part of the store the admin API reads.
type AdminStore interface {
	Shops(ctx context.Context) ([]store.Shop, error)
	Shop(ctx context.Context, id int64) (store.Shop, error)
	ShopByDomain(ctx context.Context, platform store.Platform, domain string) (store.Shop, error)
	ListInbox(ctx context.Context, f store.InboxFilter) ([]store.InboxEntry, error)
	PrivacyRecords(ctx context.Context, shopID, before int64, limit int) ([]store.PrivacyRecord, error)
	ListBackorders(ctx context.Context, f store.BackorderFilter) ([]store.BackorderEntry, error)
	Backorder(ctx context.Context, id int64) (store.BackorderEntry, []store.EventEntry, error)
	OperatorActions(ctx context.Context, f store.OperatorActionFilter) ([]store.OperatorAction, error)
	ItemsByID(ctx context.Context, shopID int64, itemID string) ([]store.ItemRecord, error)
	ItemsBySKU(ctx context.Context, shopID int64, sku string) ([]store.ItemRecord, error)
	OrderedItemsByID(ctx context.Context, shopID int64, itemID string) ([]store.ItemRecord, error)
	OrderedItemsBySKU(ctx context.Context, shopID int64, sku string) ([]store.ItemRecord, error)
	Levels(ctx context.Context, shopID int64, stockKey string) ([]store.LevelRecord, error)
	Ledger(ctx context.Context, shopID int64, itemID string) (store.LedgerRow, error)
	ListEmails(ctx context.Context, f store.EmailFilter) ([]store.Email, error)
	Email(ctx context.Context, id int64) (store.Email, error)
	ListStoreWrites(ctx context.Context, f store.WriteBackFilter) ([]store.WriteBack, error)
	SupplierStore
	PurchaseOrderStore
}

const (
	defaultPageSize = 50
	maxPageSize     = 500
)

// page reads limit and cursor: the cursor is the last id of the previous
// page, as next_cursor gave it.
func page(c *gin.Context) (limit int, before int64, err error) {
	limit = defaultPageSize
	if v := c.Query("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > maxPageSize {
			return 0, 0, errBadRequest("limit must be a whole number from 1 to 500")
		}
	}
	if v := c.Query("cursor"); v != "" {
		if before, err = strconv.ParseInt(v, 10, 64); err != nil || before < 1 {
			return 0, 0, errBadRequest("cursor is not one this API gave")
		}
	}
	return limit, before, nil
}

// nextCursor is the cursor of the page after a full one, or nil.
func nextCursor(n, limit int, lastID int64) *string {
	if n < limit {
		return nil
	}
	s := strconv.FormatInt(lastID, 10)
	return &s
}

// shopFilter resolves ?shop= (an id, a Shopify domain or a WooCommerce store
// URL) to a shop id; 0 when absent.
func shopFilter(c *gin.Context, st AdminStore) (int64, error) {
	ref := c.Query("shop")
	if ref == "" {
		return 0, nil
	}
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		if _, err := st.Shop(c.Request.Context(), id); errors.Is(err, store.ErrNotFound) {
			return 0, errNotFound("no such shop: " + ref)
		} else if err != nil {
			return 0, err
		}
		return id, nil
	}
	for _, p := range []store.Platform{store.Shopify, store.WooCommerce} {
		shop, err := st.ShopByDomain(c.Request.Context(), p, ref)
		if err == nil {
			return shop.ID, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return 0, err
		}
	}
	return 0, errNotFound("no such shop: " + ref)
}

type inboxView struct {
	ID          int64      `json:"id"`
	ShopID      int64      `json:"shop_id"`
	Shop        string     `json:"shop"`
	Platform    string     `json:"platform"`
	Topic       string     `json:"topic"`
	Status      string     `json:"status"`
	Reason      string     `json:"reason"`
	Duplicates  int        `json:"duplicates"`
	ReceivedAt  time.Time  `json:"received_at"`
	ProcessedAt *time.Time `json:"processed_at"`
}

// listInbox serves GET /api/v1/inbox.
func listInbox(st AdminStore) gin.HandlerFunc {
	statuses := []string{store.InboxAccepted, store.InboxProcessed, store.InboxRejected, store.InboxFailed}
	return list(st, statuses, func(c *gin.Context, q listQuery) ([]store.InboxEntry, error) {
		return st.ListInbox(c.Request.Context(), store.InboxFilter{ShopID: q.shopID, Topic: c.Query("topic"),
			Status: q.status, Before: q.before, Limit: q.limit})
	}, func(e store.InboxEntry) (any, int64) { return inboxView(e), e.ID })
}

type privacyView struct {
	ID         int64  `json:"id"`
	ShopID     int64  `json:"shop_id"`
	InboxID    int64  `json:"inbox_id"`
	Kind       string `json:"kind"`
	RequestID  string `json:"request_id"`
	CustomerID string `json:"customer_id"`
	Orders     int    `json:"orders"`
	Deliveries int    `json:"deliveries"`
	// Scanned recorded deliveries so far; CompletedAt is null while the
	// scan, a page per transaction, goes on.
	Scanned     int        `json:"scanned"`
	CompletedAt *time.Time `json:"completed_at"`
	Document    *rawJSON   `json:"document"`
	CreatedAt   time.Time  `json:"created_at"`
}

// rawJSON is a stored JSON document passed through as it is.
type rawJSON string

// MarshalJSON returns the document itself.
func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

// listPrivacy serves GET /api/v1/privacy-requests.
func listPrivacy(st AdminStore) gin.HandlerFunc {
	return list(st, nil, func(c *gin.Context, q listQuery) ([]store.PrivacyRecord, error) {
		return st.PrivacyRecords(c.Request.Context(), q.shopID, q.before, q.limit)
	}, func(r store.PrivacyRecord) (any, int64) {
		v := privacyView{ID: r.ID, ShopID: r.ShopID, InboxID: r.InboxID, Kind: r.Kind, RequestID: r.RequestID,
			CustomerID: r.CustomerID, Orders: r.Orders, Deliveries: r.Deliveries, Scanned: r.Scanned,
			CompletedAt: r.CompletedAt, CreatedAt: r.CreatedAt}
		if r.Document != "" {
			doc := rawJSON(r.Document)
			v.Document = &doc
		}
		return v, r.ID
	})
}
