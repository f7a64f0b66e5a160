package api

import (
	"context"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
)

// Operations is the part of jobs.Operations the admin API calls: what an
// operator does by hand goes through the tasks backorderd's own rules use.
type Operations interface {
	ReplayDelivery(ctx context.Context, id int64) (jobs.Replayed, error)
	ReplayDeliveries(ctx context.Context, f store.ReplayFilter) (jobs.ReplaySummary, error)
	ResendEmail(ctx context.Context, id int64) (store.Email, error)
	ReleaseHeld(ctx context.Context, shopID int64) (jobs.Released, error)
	Connect(ctx context.Context, shopID int64) error
}

// MountOperations adds the admin API's operator actions under /api/v1,
// behind SameOrigin and guard like the rest of it: replaying deliveries,
// resending mail, and registering and configuring shops as `backorderd
// shop` does. Store credentials are sealed with sealer (nil without
// SECRETS_KEY: none can be set). Each route that changes something is
// counted as an operator's action (Acts).
func MountOperations(r gin.IRouter, guard gin.HandlerFunc, st AdminStore, ss ShopStore, ops Operations, sealer *store.Sealer) {
	g := r.Group("/api/v1", SameOrigin(), guard)
	g.POST("/inbox/:id/replay", Acts("replay"), replayDelivery(ops))
	g.POST("/inbox/replay", Acts("replay_range"), replayDeliveries(st, ops))
	g.POST("/emails/:id/resend", Acts("resend"), resendEmail(st, ops))
	g.POST("/shops", Acts("shop_add"), addShop(st, ss))
	g.GET("/shops/:id", getShop(st, ss))
	g.PATCH("/shops/:id", Acts("shop_update"), updateShop(st, ss, ops))
	g.POST("/shops/:id/secrets", Acts("shop_secret_rotate"), rotateSecret(st, ss))
	g.DELETE("/shops/:id/secrets/previous", Acts("shop_secret_drop"), dropPreviousSecret(st, ss))
	g.PUT("/shops/:id/items/:item_id/cap", Acts("shop_item_cap"), setItemCap(st, ss))
	g.DELETE("/shops/:id/suppressions/:address", Acts("shop_bounce_clear"), clearBounce(st, ss))
	g.PUT("/shops/:id/credentials", Acts("shop_credentials_set"), putCredentials(st, ss, sealer))
	g.DELETE("/shops/:id/credentials", Acts("shop_credentials_delete"), deleteCredentials(st, ss))
	g.POST("/shops/:id/connect", Acts("shop_connect"), connectShop(st, ss, ops))
}
