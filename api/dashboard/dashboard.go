// Package dashboard is the merchant's dashboard at /: what waits per item
// and since when, the ETA promised, demand over 30 days, purchase orders,
// recent mail and what needs attention; a page per backorder with its
// trail and forms to cancel it or serve it first; and the browser login that guards it and
// the monitor. Pages are rendered on the server from embedded templates and
// work without JavaScript; a small script only sorts tables in place. It
// reads through the store's read methods and acts through the jobs that
// the admin API calls: no SQL, no business rules.
package dashboard

import (
	"context"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/api"
	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
)

// Store is what the dashboard reads.
type Store interface {
	Shops(ctx context.Context) ([]store.Shop, error)
	ItemQueues(ctx context.Context, shopID int64) ([]store.ItemQueue, error)
	WaitingOrders(ctx context.Context, shopID int64) (int, error)
	HourlyDemand(ctx context.Context, shopID int64, since time.Time) ([]store.DemandHour, error)
	OpenPOs(ctx context.Context, shopID int64, today time.Time) ([]store.OpenPO, error)
	ListEmails(ctx context.Context, f store.EmailFilter) ([]store.Email, error)
	EmailCounts(ctx context.Context, shopID int64) (map[string]int, error)
	MailWaitingForAccount(ctx context.Context, shopID int64) (store.AccountWait, error)
	StorePoll(ctx context.Context, shopID int64) (store.PollState, error)
	LastWebhook(ctx context.Context, shopID int64, topic, marker string) (*time.Time, error)
	ListBackorders(ctx context.Context, f store.BackorderFilter) ([]store.BackorderEntry, error)
	Backorder(ctx context.Context, id int64) (store.BackorderEntry, []store.EventEntry, error)
}

// Actions are the operator's actions on a backorder (jobs.Backorders), the
// same the admin API's POST /api/v1/backorders/{id}/cancel and
// /prioritize run.
type Actions interface {
	// Cancel: its units leave the queue, the customer is told why, the
	// store is updated where it can be.
	Cancel(ctx context.Context, id int64, a jobs.Action) (jobs.StoreEffect, error)
	// Prioritize: the next units of its item go to it first.
	Prioritize(ctx context.Context, id int64, a jobs.Action) error
}

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// AssetsPath is where the stylesheet and the script are served, without
// login: they hold nothing of the shop's, and the login page needs them.
const AssetsPath = "/assets"

// Dashboard serves the merchant's pages.
type Dashboard struct {
	store    Store
	actions  Actions
	sessions *api.Sessions
	throttle *throttle
	log      *slog.Logger
	pages    map[string]*template.Template
	now      func() time.Time
}

// New makes the dashboard of the admin token's sessions (the guard's, so
// that a logout ends the session for every route). actions may be nil: the
// backorder page then offers no forms.
func New(st Store, actions Actions, sessions *api.Sessions, log *slog.Logger) *Dashboard {
	d := &Dashboard{store: st, actions: actions, sessions: sessions, log: log, pages: parsePages(), now: time.Now}
	d.throttle = newThrottle(func() time.Time { return d.now() })
	return d
}

// SetClock replaces the dashboard's clock (tests).
func (d *Dashboard) SetClock(now func() time.Time) { d.now = now }

// Mount adds the login, the assets and the pages to r; the pages behind
// guard, every form post behind api.SameOrigin (a login form posted from
// another site would log the browser in as someone else's session).
func (d *Dashboard) Mount(r gin.IRouter, guard gin.HandlerFunc) {
	for name, typ := range map[string]string{"dashboard.css": "text/css; charset=utf-8",
		"dashboard.js": "text/javascript; charset=utf-8"} {
		body, _ := fs.ReadFile(staticFiles, "static/"+name)
		r.GET(AssetsPath+"/"+name, func(c *gin.Context) {
			c.Header("Cache-Control", "public, max-age=3600")
			c.Header("X-Content-Type-Options", "nosniff")
			c.Data(http.StatusOK, typ, body)
		})
	}
	r.GET(api.LoginPath, d.loginPage)
	r.POST(api.LoginPath, api.SameOrigin(), d.login)
	r.POST(LogoutPath, api.SameOrigin(), d.logout)
	g := r.Group("", api.SameOrigin(), guard)
	g.GET("/", d.overview)
	g.GET("/backorders", d.backorders)
	g.GET("/backorders/:id", d.backorder)
	g.POST("/backorders/:id/cancel", api.Acts("cancel"), d.act(cancelAction))
	g.POST("/backorders/:id/prioritize", api.Acts("prioritize"), d.act(prioritizeAction))
}

// render writes a page with the frame every page shares.
func (d *Dashboard) render(c *gin.Context, status int, name string, data any) {
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	c.Header("X-Frame-Options", "DENY")
	c.Header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
	c.Status(status)
	if err := d.pages[name].ExecuteTemplate(c.Writer, "layout", data); err != nil {
		_ = c.Error(err)
	}
}

// fail shows a page that says what went wrong, the cause logged once by
// the request log.
func (d *Dashboard) fail(c *gin.Context, status int, message string, err error) {
	if err != nil {
		_ = c.Error(err)
	}
	d.render(c, status, "error", page{Title: http.StatusText(status), Message: message, LoggedIn: true})
}
