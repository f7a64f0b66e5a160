package api

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/store"
)

// textField reads a string field of a request body; absent is "".
func textField(body map[string]json.RawMessage, name string) (string, error) {
	raw, ok := body[name]
	if !ok {
		return "", nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", &FieldError{Field: name, Reason: "must be a string"}
	}
	return strings.TrimSpace(v), nil
}

// newWebhookSecret is a secret for a WooCommerce shop's webhooks, which
// the merchant pastes into each webhook's Secret field: 32 random bytes.
func newWebhookSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on a supported platform
	return base64.RawURLEncoding.EncodeToString(b)
}

// webhookSecret is the secret a request gives a shop of platform, or a new
// one for WooCommerce (whose merchant types it into the store); a Shopify
// shop's deliveries are signed with the app's client secret, which only
// Shopify makes.
func webhookSecret(body map[string]json.RawMessage, platform store.Platform) (string, error) {
	secret, err := textField(body, "webhook_secret")
	if err != nil || secret != "" {
		return secret, err
	}
	if platform == store.Shopify {
		return "", &FieldError{Field: "webhook_secret", Reason: "required for a Shopify shop: its deliveries are signed " +
			"with the app's client secret (the app's settings in Shopify show it)"}
	}
	return newWebhookSecret(), nil
}

// readBody decodes a JSON object body field by field.
func readBody(c *gin.Context) (map[string]json.RawMessage, error) {
	var body map[string]json.RawMessage
	if err := bindJSON(c, &body); err != nil {
		return nil, err
	}
	if body == nil {
		return nil, errBadRequest("the body must be a JSON object")
	}
	return body, nil
}

// addShop serves POST /api/v1/shops, as `backorderd shop add`: platform,
// domain (checked as a delivery's shop header would name it) and
// webhook_secret (generated for WooCommerce when absent, and shown in
// this answer only), with any settings.
func addShop(st AdminStore, ss ShopStore) gin.HandlerFunc {
	return func(c *gin.Context) {
		shop, secret, err := newShop(c)
		if err != nil {
			fail(c, err)
			return
		}
		added, err := ss.AddShop(c.Request.Context(), shop)
		if errors.Is(err, store.ErrDuplicate) {
			// Named as asked: AddShop answers no shop with its error.
			err = errConflict(fmt.Sprintf("a %s shop %s is registered already: PATCH it", shop.Platform,
				store.NormalizeDomain(shop.Platform, shop.Domain)))
		}
		if err != nil {
			fail(c, err)
			return
		}
		c.Set("shop_id", added.ID)
		c.Header("Location", fmt.Sprintf("/api/v1/shops/%d", added.ID))
		showShop(c, st, ss, added.ID, http.StatusCreated, gin.H{"webhook_secret": secret})
	}
}

func newShop(c *gin.Context) (store.Shop, string, error) {
	body, err := readBody(c)
	if err != nil {
		return store.Shop{}, "", err
	}
	platform, err := textField(body, "platform")
	if err != nil {
		return store.Shop{}, "", err
	}
	p := store.Platform(platform)
	if p != store.Shopify && p != store.WooCommerce {
		return store.Shop{}, "", &FieldError{Field: "platform", Reason: "must be shopify or woocommerce"}
	}
	domain, err := textField(body, "domain")
	if err == nil && domain == "" {
		err = &FieldError{Field: "domain", Reason: "required"}
	}
	if err == nil {
		if cerr := store.CheckDomain(p, domain); cerr != nil {
			err = &FieldError{Field: "domain", Reason: cerr.Error()}
		}
	}
	if err != nil {
		return store.Shop{}, "", err
	}
	secret, err := webhookSecret(body, p)
	if err != nil {
		return store.Shop{}, "", err
	}
	shop := store.NewShop(p, domain, secret)
	if err := applySettings(&shop, body, "platform", "domain", "webhook_secret"); err != nil {
		return store.Shop{}, "", err
	}
	return shop, secret, nil
}

// updateShop serves PATCH /api/v1/shops/{id}, as `backorderd shop set`:
// the settings named change, checked by the same rules; "reactivate": true
// resumes work for an uninstalled shop. A shop that has a from address
// afterwards sends the mail held for want of one. The shop is read and
// written holding its row (store.ModifyShop): a change made meanwhile, a
// secret rotated, is not written back over.
func updateShop(st AdminStore, ss ShopStore, ops Operations) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		id, body, err := idAndBody(c)
		var reactivate bool
		if raw, ok := body["reactivate"]; ok && err == nil {
			if json.Unmarshal(raw, &reactivate) != nil {
				err = &FieldError{Field: "reactivate", Reason: "must be true or false"}
			}
		}
		var shop store.Shop
		if err == nil {
			shop, err = ss.ModifyShop(ctx, id, func(shop *store.Shop) error {
				return applySettings(shop, body, "reactivate")
			})
			err = notFoundAs(err, "no such shop")
		}
		if err == nil && reactivate {
			err = ss.ReactivateShop(ctx, shop.ID)
		}
		if err != nil {
			fail(c, err)
			return
		}
		extra := gin.H{}
		if shop.FromEmail != "" {
			r, err := ops.ReleaseHeld(ctx, shop.ID)
			if err != nil {
				fail(c, err)
				return
			}
			extra["held_emails"] = gin.H{"queued": r.Queued, "dropped": r.Dropped}
		}
		showShop(c, st, ss, shop.ID, http.StatusOK, extra)
	}
}

// idAndBody reads the path's shop id and the request's JSON body.
func idAndBody(c *gin.Context) (int64, map[string]json.RawMessage, error) {
	id, err := idParam(c, "id", "a shop id")
	if err != nil {
		return 0, nil, err
	}
	body, err := readBody(c)
	return id, body, err
}

// shopAndBody reads the shop of the path's id and the request's JSON body.
func shopAndBody(c *gin.Context, st AdminStore) (store.Shop, map[string]json.RawMessage, error) {
	id, err := idParam(c, "id", "a shop id")
	if err != nil {
		return store.Shop{}, nil, err
	}
	shop, err := st.Shop(c.Request.Context(), id)
	if err != nil {
		return store.Shop{}, nil, notFoundAs(err, "no such shop")
	}
	body, err := readBody(c)
	return shop, body, err
}

// rotateSecret serves POST /api/v1/shops/{id}/secrets, as `backorderd
// shop set --secret`: webhook_secret (generated for WooCommerce when
// absent) signs deliveries from now on and is shown in this answer only;
// the secret it replaces is still accepted, while the store moves to the
// new one, until DELETE /api/v1/shops/{id}/secrets/previous.
func rotateSecret(st AdminStore, ss ShopStore) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, body, err := idAndBody(c)
		for name := range body {
			if err == nil && name != "webhook_secret" {
				err = &FieldError{Field: name, Reason: "not a field of a secret rotation (webhook_secret)"}
			}
		}
		var secret string
		if err == nil {
			_, err = ss.ModifyShop(c.Request.Context(), id, func(shop *store.Shop) error {
				var err error
				if secret, err = webhookSecret(body, shop.Platform); err != nil {
					return err
				}
				if secret == shop.WebhookSecret {
					return errConflict("that secret is the shop's current one already")
				}
				shop.RotateSecret(secret)
				return nil
			})
			err = notFoundAs(err, "no such shop")
		}
		if err != nil {
			fail(c, err)
			return
		}
		showShop(c, st, ss, id, http.StatusCreated, gin.H{"webhook_secret": secret})
	}
}

// dropPreviousSecret serves DELETE /api/v1/shops/{id}/secrets/previous, as
// `backorderd shop set --drop-previous-secret`: deliveries signed with the
// secret the last rotation replaced are refused from now on.
func dropPreviousSecret(st AdminStore, ss ShopStore) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := idParam(c, "id", "a shop id")
		if err == nil {
			_, err = ss.ModifyShop(c.Request.Context(), id, func(shop *store.Shop) error {
				if shop.WebhookSecretPrevious == "" {
					return errNotFound("the shop has no previous secret")
				}
				shop.DropPreviousSecret()
				return nil
			})
		}
		if err != nil {
			fail(c, notFoundAs(err, "no such shop"))
			return
		}
		showShop(c, st, ss, id, http.StatusOK, nil)
	}
}

// setItemCap serves PUT /api/v1/shops/{id}/items/{item_id}/cap, as
// `backorderd shop item-cap`: {"waiting_cap": N} or null to follow the
// shop's cap again.
func setItemCap(st AdminStore, ss ShopStore) gin.HandlerFunc {
	return func(c *gin.Context) {
		shop, body, err := shopAndBody(c, st)
		if err != nil {
			fail(c, err)
			return
		}
		raw, ok := body["waiting_cap"]
		if !ok || len(body) != 1 {
			fail(c, &FieldError{Field: "waiting_cap", Reason: "required, and the only field: a whole number, or null for the shop's cap"})
			return
		}
		v, err := settingText(jsonLimit, raw)
		var limit *int
		if err == nil {
			limit, err = store.ParseCap(v)
		}
		if err != nil {
			fail(c, &FieldError{Field: "waiting_cap", Reason: err.Error()})
			return
		}
		item := c.Param("item_id")
		if err := ss.SetItemCap(c.Request.Context(), shop.ID, item, limit); err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"shop_id": shop.ID, "item_id": item, "waiting_cap": limit})
	}
}

// clearBounce serves DELETE /api/v1/shops/{id}/suppressions/{address}, as
// `backorderd shop clear-bounce`: an address that bounced is mailed again
// once the merchant has fixed it.
func clearBounce(st AdminStore, ss ShopStore) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := idParam(c, "id", "a shop id")
		if err != nil {
			fail(c, err)
			return
		}
		if _, err := st.Shop(c.Request.Context(), id); err != nil {
			fail(c, notFoundAs(err, "no such shop"))
			return
		}
		address := c.Param("address")
		cleared, err := ss.ClearSuppression(c.Request.Context(), id, address)
		if err == nil && !cleared {
			err = errNotFound(address + " is not suppressed for this shop")
		}
		if err != nil {
			fail(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	}
}
