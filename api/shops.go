package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/store"
)

// ShopStore is the part of the store the shop endpoints write; the rules
// of every setting are the store's (store.Shop.Set), the ones `backorderd
// shop` applies too.
type ShopStore interface {
	AddShop(ctx context.Context, shop store.Shop) (store.Shop, error)
	ModifyShop(ctx context.Context, id int64, change func(*store.Shop) error) (store.Shop, error)
	ReactivateShop(ctx context.Context, id int64) error
	SetItemCap(ctx context.Context, shopID int64, itemID string, limit *int) error
	ClearSuppression(ctx context.Context, shopID int64, address string) (bool, error)
	ShopCredentials(ctx context.Context, shopID int64) ([]byte, error)
	SetCredentials(ctx context.Context, sealer *store.Sealer, shopID int64, c store.Credentials) error
	DeleteShopCredentials(ctx context.Context, shopID int64) error
}

// shopView is a shop as the admin API shows it, with every setting PATCH
// takes under the same name; secrets and credentials are never shown,
// only how many secrets are accepted and whether it has credentials.
type shopView struct {
	ID                 int64      `json:"id"`
	Platform           string     `json:"platform"`
	Domain             string     `json:"domain"`
	Name               string     `json:"name"`
	Status             string     `json:"status"`
	SecretsHeld        int        `json:"webhook_secrets"`
	Credentials        *bool      `json:"store_credentials,omitempty"`
	MerchantEmail      string     `json:"merchant_email"`
	FromEmail          string     `json:"from_email"`
	ReplyTo            string     `json:"reply_to"`
	TimeZone           string     `json:"time_zone"`
	HandlingDays       int        `json:"handling_days"`
	UpdateCadenceDays  int        `json:"update_cadence_days"`
	BackorderPolicy    string     `json:"backorder_policy"`
	Incentive          string     `json:"incentive"`
	TemplateIDs        rawJSON    `json:"template_ids"`
	WaitingCap         *int       `json:"waiting_cap"`
	Reorder            string     `json:"reorder"`
	POApproval         string     `json:"po_approval"`
	MaxWaitDays        *int       `json:"max_wait_days"`
	StoreWrites        []string   `json:"store_writes"`
	CustomerNote       bool       `json:"customer_note"`
	CancelAfterMaxWait bool       `json:"cancel_after_max_wait"`
	UninstalledAt      *time.Time `json:"uninstalled_at"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
}

func viewShop(s store.Shop) shopView {
	templates := rawJSON(s.TemplateIDs)
	if templates == "" {
		templates = "{}"
	}
	return shopView{ID: s.ID, Platform: string(s.Platform), Domain: s.Domain, Name: s.Name, Status: s.Status,
		SecretsHeld: len(s.Secrets()), MerchantEmail: s.MerchantEmail, FromEmail: s.FromEmail, ReplyTo: s.ReplyTo,
		TimeZone: s.TimeZone, HandlingDays: s.HandlingDays, UpdateCadenceDays: s.UpdateCadenceDays,
		BackorderPolicy: s.BackorderPolicy, Incentive: s.Incentive, TemplateIDs: templates, WaitingCap: s.WaitingCap,
		Reorder: s.Reorder, POApproval: s.POApproval, MaxWaitDays: s.MaxWaitDays, StoreWrites: s.OnWrites(),
		CustomerNote: s.CustomerNote, CancelAfterMaxWait: s.CancelAfterMaxWait, UninstalledAt: s.UninstalledAt,
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
}

// listShops serves GET /api/v1/shops: every shop, oldest first (a handful
// per installation: not paged).
func listShops(st AdminStore) gin.HandlerFunc {
	return func(c *gin.Context) {
		list, err := st.Shops(c.Request.Context())
		if err != nil {
			fail(c, err)
			return
		}
		items := make([]shopView, 0, len(list))
		for _, s := range list {
			items = append(items, viewShop(s))
		}
		c.JSON(http.StatusOK, gin.H{"items": items})
	}
}

// showShop answers with shop id as it is now, whether it has store
// credentials, and extra.
func showShop(c *gin.Context, st AdminStore, ss ShopStore, id int64, status int, extra gin.H) {
	shop, err := st.Shop(c.Request.Context(), id)
	if err != nil {
		fail(c, notFoundAs(err, "no such shop"))
		return
	}
	v := viewShop(shop)
	has := true
	if _, err := ss.ShopCredentials(c.Request.Context(), id); errors.Is(err, store.ErrNotFound) {
		has = false
	} else if err != nil {
		fail(c, err)
		return
	}
	v.Credentials = &has
	body := gin.H{"shop": v}
	for k, val := range extra {
		body[k] = val
	}
	c.JSON(status, body)
}

// getShop serves GET /api/v1/shops/{id}.
func getShop(st AdminStore, ss ShopStore) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := idParam(c, "id", "a shop id")
		if err != nil {
			fail(c, err)
			return
		}
		showShop(c, st, ss, id, http.StatusOK, nil)
	}
}
