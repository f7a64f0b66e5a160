package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/store"
)

// putCredentials serves PUT /api/v1/shops/{id}/credentials, as `backorderd
// shop set --shopify-token` or `--woo-key --woo-secret`: the shop's store
// credentials, checked against its platform by the CLI's rules, replace
// any it had, sealed with SECRETS_KEY. They are never shown again; POST
// /api/v1/shops/{id}/connect then registers its webhooks.
func putCredentials(st AdminStore, ss ShopStore, sealer *store.Sealer) gin.HandlerFunc {
	return func(c *gin.Context) {
		shop, body, err := shopAndBody(c, st)
		var cr store.Credentials
		for _, f := range []struct {
			name string
			to   *string
		}{{"shopify_token", &cr.ShopifyToken}, {"woo_key", &cr.WooKey}, {"woo_secret", &cr.WooSecret}} {
			if err == nil {
				*f.to, err = textField(body, f.name)
			}
		}
		for name := range body {
			if err == nil && name != "shopify_token" && name != "woo_key" && name != "woo_secret" {
				err = &FieldError{Field: name, Reason: "not a store credential (shopify_token, or woo_key and woo_secret)"}
			}
		}
		if err == nil {
			err = credentialError(cr.Check(shop.Platform))
		}
		if err == nil && sealer == nil {
			err = errConflict("SECRETS_KEY is not set: store credentials are kept sealed with it " +
				"(the base64 of 32 random bytes, the same for every backorderd process)")
		}
		if err == nil {
			err = ss.SetCredentials(c.Request.Context(), sealer, shop.ID, cr)
		}
		if err != nil {
			fail(c, err)
			return
		}
		showShop(c, st, ss, shop.ID, http.StatusOK, nil)
	}
}

// credentialError names the first field of a store.CredentialError.
func credentialError(err error) error {
	var ce *store.CredentialError
	if errors.As(err, &ce) {
		return &FieldError{Field: ce.Fields[0], Reason: ce.Error()}
	}
	if err != nil {
		return &FieldError{Field: "shopify_token", Reason: err.Error()}
	}
	return nil
}

// deleteCredentials serves DELETE /api/v1/shops/{id}/credentials, as
// `backorderd shop set --clear-credentials`: the shop works on webhooks
// alone.
func deleteCredentials(st AdminStore, ss ShopStore) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := idParam(c, "id", "a shop id")
		if err == nil {
			_, err = st.Shop(c.Request.Context(), id)
			err = notFoundAs(err, "no such shop")
		}
		if err == nil {
			err = ss.DeleteShopCredentials(c.Request.Context(), id)
		}
		if err != nil {
			fail(c, err)
			return
		}
		showShop(c, st, ss, id, http.StatusOK, nil)
	}
}

// connectShop serves POST /api/v1/shops/{id}/connect, as `backorderd shop
// connect`: the connect task registers the shop's webhooks in its store
// with its credentials. It answers at once; the task's outcome is in the
// log and the monitor.
func connectShop(st AdminStore, ss ShopStore, ops Operations) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := idParam(c, "id", "a shop id")
		if err != nil {
			fail(c, err)
			return
		}
		ctx := c.Request.Context()
		shop, err := st.Shop(ctx, id)
		if err != nil {
			fail(c, notFoundAs(err, "no such shop"))
			return
		}
		if shop.Status != store.ShopActive {
			fail(c, errConflict("the shop is uninstalled: reactivate it first"))
			return
		}
		if _, err := ss.ShopCredentials(ctx, id); err != nil {
			fail(c, notFoundAsConflict(err, "the shop has no store credentials: PUT /api/v1/shops/"+
				strconv.FormatInt(id, 10)+"/credentials gives them"))
			return
		}
		if err := ops.Connect(ctx, id); err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusAccepted, gin.H{"shop_id": id, "connect": "queued"})
	}
}

// notFoundAsConflict is err, or errConflict(msg) when err is the store's
// ErrNotFound.
func notFoundAsConflict(err error, msg string) error {
	if errors.Is(err, store.ErrNotFound) {
		return errConflict(msg)
	}
	return err
}
