package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/api"
	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/jobs/jobstest"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// rotatedMeanwhile is the store, but another operator's secret rotation
// lands once, just before the first shop write a request makes: after
// whatever the request read of the shop before writing it.
type rotatedMeanwhile struct {
	*store.Store
	t      *testing.T
	secret string
	done   bool
}

func (r *rotatedMeanwhile) meanwhile(ctx context.Context, id int64) {
	if r.done {
		return
	}
	r.done = true
	shop, err := r.Shop(ctx, id)
	if err != nil {
		r.t.Fatal(err)
	}
	shop.RotateSecret(r.secret)
	if _, err := r.UpdateShop(ctx, shop); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rotatedMeanwhile) ModifyShop(ctx context.Context, id int64, change func(*store.Shop) error) (store.Shop, error) {
	r.meanwhile(ctx, id)
	return r.Store.ModifyShop(ctx, id, change)
}

func TestASettingsChangeDoesNotWriteBackASecretRotatedMeanwhile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop, err := s.AddShop(ctx, store.NewShop(store.WooCommerce, "https://meanwhile.example", "old-secret"))
		if err != nil {
			t.Fatal(err)
		}
		ss := &rotatedMeanwhile{Store: s, t: t, secret: "new-secret"}
		rc, _ := jobstest.Redis(t, redisDB)
		d := jobs.NewDispatcher(asynq.NewClientFromRedisClient(rc), slog.New(slog.NewTextHandler(io.Discard, nil)))
		gin.SetMode(gin.TestMode)
		r := gin.New()
		api.MountOperations(r, api.RequireToken(adminToken), s, ss,
			jobs.NewOperations(s, d, asynq.NewInspectorFromRedisClient(rc)), testSealer(t))

		code, body := call(t, r, http.MethodPatch, fmt.Sprint("/api/v1/shops/", shop.ID), `{"name": "Meanwhile Goods", "handling_days": 3}`)
		if code != http.StatusOK || !ss.done {
			t.Fatalf("patch = %d %v, want 200 with the rotation landing first", code, body)
		}
		got, err := s.Shop(ctx, shop.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.WebhookSecret != "new-secret" || got.WebhookSecretPrevious != "old-secret" || got.Name != "Meanwhile Goods" || got.HandlingDays != 3 {
			t.Errorf("after a rotation and a settings change at once: secret %q, previous %q, name %q, handling %d; "+
				"want both changes: new-secret, old-secret, Meanwhile Goods, 3",
				got.WebhookSecret, got.WebhookSecretPrevious, got.Name, got.HandlingDays)
		}
	})
}
