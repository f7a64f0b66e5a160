package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/integrations/shopify"
	"github.com/backorderd/backorderd/store"
)

// InstallStore is the part of the store the Shopify install writes to.
type InstallStore interface {
	AddOAuthState(ctx context.Context, state, domain string, expiresAt time.Time) error
	ConsumeOAuthState(ctx context.Context, state, domain string) error
	ShopByDomain(ctx context.Context, platform store.Platform, domain string) (store.Shop, error)
	AddShop(ctx context.Context, shop store.Shop) (store.Shop, error)
	ModifyShop(ctx context.Context, id int64, change func(*store.Shop) error) (store.Shop, error)
	ReactivateShop(ctx context.Context, id int64) error
	SetCredentials(ctx context.Context, sealer *store.Sealer, shopID int64, c store.Credentials) error
}

// ShopifyApp is the public app a merchant installs: its client id and
// secret, where Shopify sends the merchant back (PUBLIC_URL), and where
// the shops' OAuth endpoints are when not at the shop's own domain
// (SHOPIFY_API_BASE_URL, tests and proxies only).
type ShopifyApp struct {
	APIKey     string
	APISecret  string
	PublicURL  string
	APIBaseURL string
}

// ConnectShop starts connecting a shop that just got credentials (the
// connect job: its webhooks registered, its changes polled).
type ConnectShop func(ctx context.Context, shopID int64) error

// ShopifyInstall serves the OAuth install of the public app: GET
// /shopify/install sends the merchant to Shopify to approve it, and GET
// /shopify/callback, Shopify's signed redirect back, turns the approval
// into a shop with a sealed access token. Like the webhooks, these are the
// store's calls, not the operator's.
type ShopifyInstall struct {
	store   InstallStore
	app     ShopifyApp
	sealer  *store.Sealer
	connect ConnectShop
	hc      *http.Client
	now     func() time.Time
}

// NewShopifyInstall returns the install of app, sealing tokens with sealer
// and asking for each new token's shop to be connected through connect
// (nil: the merchant is told to run `backorderd shop connect`). hc makes
// the token request: give it a timeout.
func NewShopifyInstall(st InstallStore, app ShopifyApp, sealer *store.Sealer, connect ConnectShop, hc *http.Client) *ShopifyInstall {
	return &ShopifyInstall{store: st, app: app, sealer: sealer, connect: connect, hc: hc, now: time.Now}
}

// Install paths, and how long a merchant has to approve the install.
const (
	InstallPath         = "/shopify/install"
	InstallCallbackPath = "/shopify/callback"
	installStateTTL     = 10 * time.Minute
	installTimeout      = 30 * time.Second
)

// Mount adds the install's two routes to r.
func (in *ShopifyInstall) Mount(r gin.IRouter) {
	r.GET(InstallPath, in.install)
	r.GET(InstallCallbackPath, in.callback)
}

// install answers GET /shopify/install?shop=X.myshopify.com: a state for
// that shop alone, then off to Shopify's authorize page.
func (in *ShopifyInstall) install(c *gin.Context) {
	q := c.Request.URL.Query()
	shop := q.Get("shop")
	if !shopify.ValidShopDomain(shop) {
		in.refuse(c, http.StatusBadRequest, "bad shop", "The shop parameter must be the shop's own domain, for example your-shop.myshopify.com.")
		return
	}
	// Launched from Shopify's admin, the request is signed: a forged
	// signature is refused; an unsigned request (a link the merchant
	// follows) is allowed, since the callback is what is checked.
	if q.Has("hmac") {
		if err := shopify.VerifyCallback(q, in.app.APISecret); err != nil {
			in.refuse(c, http.StatusUnauthorized, "bad signature", "This request was not signed by Shopify.")
			return
		}
	}
	domain := store.NormalizeDomain(store.Shopify, shop)
	c.Set("shop_domain", domain)
	state, err := newState()
	if err == nil {
		err = in.store.AddOAuthState(c.Request.Context(), state, domain, in.now().Add(installStateTTL))
	}
	if err != nil {
		_ = c.Error(err)
		in.refuse(c, http.StatusServiceUnavailable, "", "backorderd cannot start the install now; try again in a minute.")
		return
	}
	c.Set("outcome", "redirected")
	c.Redirect(http.StatusFound, shopify.AuthorizeURL(shopify.InstallBase(in.app.APIBaseURL, domain),
		in.app.APIKey, shopify.Scopes, in.redirectURI(), state))
}

func (in *ShopifyInstall) redirectURI() string {
	return strings.TrimRight(in.app.PublicURL, "/") + InstallCallbackPath
}

// newState is 32 random bytes, URL-safe.
func newState() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("new oauth state: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// callback answers Shopify's redirect: signature, shop, then the state
// (used once), then the code is exchanged for the token, the shop created
// or updated with it, and connecting it started.
func (in *ShopifyInstall) callback(c *gin.Context) {
	q := c.Request.URL.Query()
	for _, name := range []string{"code", "shop", "state", "hmac"} {
		if q.Get(name) == "" {
			in.refuse(c, http.StatusBadRequest, "missing "+name, "This is not a Shopify install callback: "+name+" is missing.")
			return
		}
	}
	if err := shopify.VerifyCallback(q, in.app.APISecret); err != nil {
		in.refuse(c, http.StatusUnauthorized, "bad signature", "This request was not signed by Shopify.")
		return
	}
	if !shopify.ValidShopDomain(q.Get("shop")) {
		in.refuse(c, http.StatusBadRequest, "bad shop", "The shop parameter is not a shop's own domain.")
		return
	}
	domain := store.NormalizeDomain(store.Shopify, q.Get("shop"))
	c.Set("shop_domain", domain)
	// The work finishes even if the merchant's browser gives up.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), installTimeout)
	defer cancel()
	if err := in.store.ConsumeOAuthState(ctx, q.Get("state"), domain); err != nil {
		if errors.Is(err, store.ErrOAuthState) {
			in.refuse(c, http.StatusUnauthorized, err.Error(), "This install link has expired or was already used. Start the install again.")
			return
		}
		_ = c.Error(err)
		in.refuse(c, http.StatusServiceUnavailable, "", "backorderd cannot finish the install now; start it again in a minute.")
		return
	}
	token, scope, err := shopify.ExchangeToken(ctx, in.hc, shopify.InstallBase(in.app.APIBaseURL, domain),
		in.app.APIKey, in.app.APISecret, q.Get("code"))
	if err != nil {
		_ = c.Error(err)
		in.refuse(c, http.StatusBadGateway, "", "Shopify did not grant access. Start the install again.")
		return
	}
	if missing := shopify.MissingScopes(shopify.Scopes, scope); len(missing) > 0 {
		c.Set("missing_scopes", strings.Join(missing, ","))
	}
	shop, err := in.saveShop(ctx, domain, token)
	if err != nil {
		_ = c.Error(err)
		in.refuse(c, http.StatusServiceUnavailable, "", "backorderd could not keep the shop's access. Start the install again.")
		return
	}
	c.Set("shop_id", shop.ID)
	connected := true
	if in.connect == nil {
		connected = false
	} else if err := in.connect(ctx, shop.ID); err != nil {
		_ = c.Error(fmt.Errorf("connect shop %d: %w", shop.ID, err))
		connected = false
	}
	c.Set("outcome", "installed")
	c.Status(http.StatusOK)
	c.Header("Content-Type", "text/html; charset=utf-8")
	_ = installedPage.Execute(c.Writer, installedView{Domain: shop.Domain, ID: shop.ID, Connecting: connected})
}

// saveShop creates the shop or updates it: the app's secret signs its
// webhooks (a secret the shop had stays accepted as the previous one), an
// uninstalled shop is active again, and the token replaces any credentials.
func (in *ShopifyInstall) saveShop(ctx context.Context, domain, token string) (store.Shop, error) {
	shop, err := in.store.ShopByDomain(ctx, store.Shopify, domain)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if shop, err = in.store.AddShop(ctx, store.NewShop(store.Shopify, domain, in.app.APISecret)); err != nil {
			return store.Shop{}, err
		}
	case err != nil:
		return store.Shop{}, err
	case shop.WebhookSecret != in.app.APISecret:
		// Under the shop's row lock: a settings change meanwhile is kept.
		if shop, err = in.store.ModifyShop(ctx, shop.ID, func(sh *store.Shop) error {
			if sh.WebhookSecret != in.app.APISecret {
				sh.WebhookSecretPrevious, sh.WebhookSecret = sh.WebhookSecret, in.app.APISecret
			}
			return nil
		}); err != nil {
			return store.Shop{}, err
		}
	}
	if err := in.store.SetCredentials(ctx, in.sealer, shop.ID, store.Credentials{ShopifyToken: token}); err != nil {
		return store.Shop{}, err
	}
	if shop.Status != store.ShopActive {
		if err := in.store.ReactivateShop(ctx, shop.ID); err != nil {
			return store.Shop{}, err
		}
	}
	return shop, nil
}

// refuse answers a short page; reason, when given, goes to the request's
// log line.
func (in *ShopifyInstall) refuse(c *gin.Context, status int, reason, message string) {
	if reason != "" {
		c.Set("refused", reason)
	}
	c.Set("outcome", "refused")
	c.Status(status)
	c.Header("Content-Type", "text/plain; charset=utf-8")
	_, _ = c.Writer.WriteString(message + "\n")
}

type installedView struct {
	Domain     string
	ID         int64
	Connecting bool
}

var installedPage = template.Must(template.New("installed").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>backorderd connected</title></head>
<body>
<h1>backorderd is connected to {{.Domain}}</h1>
{{if .Connecting}}<p>Its webhooks are being registered now; backorderd will keep your backordered orders up to date in Shopify.</p>
{{else}}<p>Its webhooks are not registered yet: run <code>backorderd shop connect {{.ID}}</code>.</p>
{{end}}<p>You can close this page.</p>
</body></html>
`))
