package api

import (
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/store"
)

// storeWriteView is a write to a shop's store as operators see it: what it
// writes and how it went, never the shop's credentials.
type storeWriteView struct {
	ID        int64      `json:"id"`
	ShopID    int64      `json:"shop_id"`
	Kind      string     `json:"kind"`
	Subject   string     `json:"subject"`
	Status    string     `json:"status"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	WrittenAt *time.Time `json:"written_at"`
}

var storeWriteKinds = []string{store.StoreWriteOrder, store.StoreWriteSelling, store.StoreWriteStock,
	store.StoreWriteCancel, store.StoreWriteResolve}

// listStoreWrites serves GET /api/v1/store-writes (?shop=, ?status=, ?kind=).
func listStoreWrites(st AdminStore) gin.HandlerFunc {
	statuses := []string{store.StoreWritePending, store.StoreWriteDone, store.StoreWriteFailed}
	return list(st, statuses, func(c *gin.Context, q listQuery) ([]store.WriteBack, error) {
		kind := c.Query("kind")
		if kind != "" && !slices.Contains(storeWriteKinds, kind) {
			return nil, errBadRequest("kind must be one of " + strings.Join(storeWriteKinds, ", "))
		}
		return st.ListStoreWrites(c.Request.Context(), store.WriteBackFilter{ShopID: q.shopID, Status: q.status,
			Kind: kind, Before: q.before, Limit: q.limit})
	}, func(w store.WriteBack) (any, int64) {
		return storeWriteView{ID: w.ID, ShopID: w.ShopID, Kind: w.Kind, Subject: w.Subject, Status: w.Status,
			Attempts: w.Attempts, LastError: w.LastError, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt,
			WrittenAt: w.WrittenAt}, w.ID
	})
}
