package dashboard

import (
	"fmt"
	"html/template"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/store"
)

// page is what every page's frame shows.
type page struct {
	Title    string
	Message  string // the error page's
	LoggedIn bool
	Nav      string // the section the page belongs to: "overview" or "backorders"
	Shops    []shopOption
	ShopID   int64
	ShopName string
	Flash    string
}

type shopOption struct {
	ID       int64
	Name     string
	Selected bool
}

// funcs are the templates' arithmetic, for the chart's labels.
var funcs = template.FuncMap{
	"add": func(a, b float64) float64 { return a + b },
	"sub": func(a, b float64) float64 { return a - b },
}

// parsePages parses each page with the shared layout.
func parsePages() map[string]*template.Template {
	pages := map[string]*template.Template{}
	for _, name := range []string{"login", "overview", "backorders", "backorder", "error"} {
		pages[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFiles, "templates/layout.html",
			"templates/"+name+".html"))
	}
	return pages
}

// chooseShop picks the shop the page is about: ?shop=ID, else the first
// active shop, else the first. ok is false when there is no shop at all.
func chooseShop(c *gin.Context, shops []store.Shop) (store.Shop, []shopOption, bool) {
	if len(shops) == 0 {
		return store.Shop{}, nil, false
	}
	chosen := shops[0]
	for _, s := range shops {
		if s.Status == "active" {
			chosen = s
			break
		}
	}
	if id, err := strconv.ParseInt(c.Query("shop"), 10, 64); err == nil {
		for _, s := range shops {
			if s.ID == id {
				chosen = s
			}
		}
	}
	opts := make([]shopOption, len(shops))
	for i, s := range shops {
		opts[i] = shopOption{ID: s.ID, Name: shopName(s), Selected: s.ID == chosen.ID}
	}
	return chosen, opts, true
}

func shopName(s store.Shop) string {
	if s.Name != "" {
		return s.Name + " (" + s.Domain + ")"
	}
	return s.Domain
}

// location is the shop's time zone, UTC when it names none this machine
// knows.
func location(s store.Shop) *time.Location {
	if loc, err := time.LoadLocation(s.TimeZone); err == nil && s.TimeZone != "" {
		return loc
	}
	return time.UTC
}

// age says how long ago t was, in the two largest units: "3 d 4 h",
// "5 h 12 min", "40 min".
func age(now, t time.Time) string {
	d := now.Sub(t)
	if d < time.Minute {
		return "just now"
	}
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return fmt.Sprintf("%d d %d h", days, hours)
	case hours > 0:
		return fmt.Sprintf("%d h %d min", hours, mins)
	}
	return fmt.Sprintf("%d min", mins)
}

// dateOf shows a calendar date (kept at 00:00 UTC) as "Mon 15 Dec 2026".
func dateOf(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format("Mon 2 Jan 2006")
}

// timeIn shows a moment in the shop's time zone.
func timeIn(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2 Jan 2006 15:04")
}

// label turns a code ("partially_allocated") into words.
func label(code string) string {
	return strings.ReplaceAll(code, "_", " ")
}

// column is one sortable column of a table: its key in ?sort=, its heading,
// and how two rows compare by it.
type column[R any] struct {
	Key     string
	Label   string
	Numeric bool // first sorted largest first
	Compare func(a, b R) int
}

// header is a table heading as the template draws it: a link that sorts by
// its column (the other way when it is sorted already), and the ARIA state.
type header struct {
	Label   string
	Key     string
	Href    string
	Sorted  string // "ascending", "descending" or ""
	Numeric bool
}

// sortRows sorts rows by the request's param ("waiting" ascending,
// "-waiting" descending; def when absent or unknown), stably, and returns
// the headings.
func sortRows[R any](c *gin.Context, param, def string, cols []column[R], rows []R) []header {
	key := c.Query(param)
	desc := strings.HasPrefix(key, "-")
	key = strings.TrimPrefix(key, "-")
	i := slices.IndexFunc(cols, func(col column[R]) bool { return col.Key == key })
	if i < 0 {
		key, desc = strings.TrimPrefix(def, "-"), strings.HasPrefix(def, "-")
		i = slices.IndexFunc(cols, func(col column[R]) bool { return col.Key == key })
	}
	if i >= 0 {
		by := cols[i].Compare
		slices.SortStableFunc(rows, func(a, b R) int {
			if desc {
				return by(b, a)
			}
			return by(a, b)
		})
	}
	hs := make([]header, len(cols))
	for j, col := range cols {
		h := header{Label: col.Label, Key: col.Key, Numeric: col.Numeric}
		next := col.Key
		if col.Numeric {
			next = "-" + col.Key
		}
		if j == i {
			h.Sorted = "ascending"
			next = "-" + col.Key
			if desc {
				h.Sorted, next = "descending", col.Key
			}
		}
		q := url.Values{}
		for k, v := range c.Request.URL.Query() {
			q[k] = v
		}
		q.Set(param, next)
		h.Href = "?" + q.Encode()
		hs[j] = h
	}
	return hs
}

// byTime compares optional times, none last.
func byTime(a, b *time.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return a.Compare(*b)
}

// unix is a sort key for an optional time: none sorts after every date.
func unix(t *time.Time) int64 {
	if t == nil {
		return 1 << 53
	}
	return t.Unix()
}
