package api

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// RequireToken guards a route group with the admin token: a bearer token
// for scripts, HTTP Basic with the token as password, or the session cookie
// of the browser login (LoginPath). The comparison takes the same time
// whatever the guess. A browser opening a page without credentials is sent
// to the login page; anything else is refused with 401.
func RequireToken(token string) gin.HandlerFunc { return RequireLogin(NewSessions(token)) }

// RequireLogin is RequireToken with the process's sessions: a session
// logged out (Sessions.End) opens nothing, on any replica. When the
// logged-out sessions cannot be read, a request with a session cookie is
// answered 503.
func RequireLogin(sessions *Sessions) gin.HandlerFunc {
	return func(c *gin.Context) {
		got, presented := presentedToken(c.Request)
		if presented && sessions.CheckToken(got) {
			c.Next()
			return
		}
		if !presented {
			ok, err := sessions.Check(c.Request)
			if err != nil {
				_ = c.Error(err)
				c.AbortWithStatusJSON(http.StatusServiceUnavailable, errorBody(codeUnavailable,
					"the login cannot be checked now; try again in a moment"))
				return
			}
			if ok {
				c.Set(ActorKey, SessionActor)
				c.Next()
				return
			}
		}
		c.Set("refused", "admin token")
		if !presented && isNavigation(c.Request) {
			c.Redirect(http.StatusSeeOther, LoginPath+"?next="+url.QueryEscape(c.Request.URL.RequestURI()))
			c.Abort()
			return
		}
		c.Header("WWW-Authenticate", `Basic realm="backorderd", charset="UTF-8"`)
		c.AbortWithStatusJSON(http.StatusUnauthorized, errorBody(codeUnauthorized, "the admin token is missing or wrong"))
	}
}

// LoginPath is the browser login's page.
const LoginPath = "/login"

// SessionActor is who the audit trail names for what a browser logged in
// with the admin token does.
const SessionActor = "browser login"

// isNavigation tells whether r is a browser opening a page (not a script,
// not a page's own fetch): Sec-Fetch-Mode says so, or, from a browser too
// old to send it, an Accept that asks for HTML.
func isNavigation(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	if mode := r.Header.Get("Sec-Fetch-Mode"); mode != "" {
		return mode == "navigate"
	}
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

func presentedToken(r *http.Request) (string, bool) {
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		return strings.TrimPrefix(h, "Bearer "), true
	}
	if _, pass, ok := r.BasicAuth(); ok {
		return pass, true
	}
	return "", false
}

// MonitorPath is where the asynq monitor is mounted.
const MonitorPath = "/monitor"

// MonitorManifestPath is the monitor's web app manifest: a static file
// that browsers fetch without credentials (the page's <link rel=manifest>
// has no crossorigin attribute), so it is served without the token,
// rather than refused with a 401 logged on every page load.
const MonitorManifestPath = MonitorPath + "/manifest.json"

// MountMonitor serves the asynq web monitor (which has no login of its own)
// under MonitorPath, behind guard; a browser's cross-origin state change is
// refused before the credentials it carries are looked at. Only the
// manifest is served to anyone.
func MountMonitor(r gin.IRouter, guard gin.HandlerFunc, monitor http.Handler) {
	h := gin.WrapH(monitor)
	g := r.Group(MonitorPath, SameOrigin(), exceptManifest(guard))
	g.Any("", h)
	g.Any("/*path", h)
}

// exceptManifest applies guard to every request but a GET or HEAD of the
// manifest.
func exceptManifest(guard gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.URL.Path == MonitorManifestPath &&
			(c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead) {
			c.Next()
			return
		}
		guard(c)
	}
}

// MountMetrics serves gatherer's Prometheus metrics at /metrics, behind
// guard (Prometheus sends the token as a bearer token).
func MountMetrics(r gin.IRouter, guard gin.HandlerFunc, gatherer prometheus.Gatherer) {
	r.GET("/metrics", guard, gin.WrapH(promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{})))
}

// MountAdmin adds the admin API under /api/v1, and the Prometheus metrics
// of gatherer at /metrics, behind guard. Purchase orders change through
// purchasing.
func MountAdmin(r gin.IRouter, guard gin.HandlerFunc, shops AdminStore, purchasing Purchasing, gatherer prometheus.Gatherer) {
	MountMetrics(r, guard, gatherer)
	g := r.Group("/api/v1", SameOrigin(), guard)
	g.GET("/openapi.json", serveOpenAPI)
	g.GET("/inbox", listInbox(shops))
	g.GET("/privacy-requests", listPrivacy(shops))
	g.GET("/backorders", listBackorders(shops))
	g.GET("/backorders/:id", getBackorder(shops))
	g.GET("/operator-actions", listOperatorActions(shops))
	g.GET("/items", getItem(shops))
	g.GET("/items/:id", getItem(shops))
	g.GET("/emails", listEmails(shops))
	g.GET("/emails/:id", getEmail(shops))
	g.GET("/store-writes", listStoreWrites(shops))
	g.GET("/suppliers", listSuppliers(shops))
	g.POST("/suppliers", addSupplier(shops))
	g.GET("/suppliers/:id", getSupplier(shops))
	g.PATCH("/suppliers/:id", updateSupplier(shops))
	g.PUT("/items/:id/suppliers/:supplier_id", putTerms(shops, purchasing))
	g.DELETE("/items/:id/suppliers/:supplier_id", deleteTerms(shops, purchasing))
	mountPurchaseOrders(g, shops, purchasing)
	g.GET("/shops", listShops(shops))
}
