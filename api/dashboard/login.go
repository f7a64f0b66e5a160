package dashboard

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/api"
)

// LogoutPath ends the browser's session (a form post).
const LogoutPath = "/logout"

// loginData is the login page's.
type loginData struct {
	page
	Next  string
	Error string
}

// loginPage serves GET /login: the form, or straight on for a browser
// already logged in.
func (d *Dashboard) loginPage(c *gin.Context) {
	next := localPath(c.Query("next"))
	if d.sessions.Valid(c.Request) {
		c.Redirect(http.StatusSeeOther, next)
		return
	}
	d.render(c, http.StatusOK, "login", loginData{page: page{Title: "Log in"}, Next: next})
}

// login serves POST /login: the admin token as the password starts a
// session and goes on to the page asked for; a wrong one shows the form
// again with 401. A client that gave too many wrong ones is refused with
// 429 and Retry-After before its guess is looked at (see throttle). The
// client is the address gin gives (c.ClientIP), which trusts
// X-Forwarded-For only from the proxies TRUSTED_PROXIES names.
func (d *Dashboard) login(c *gin.Context) {
	next := localPath(c.PostForm("next"))
	client := clientKey(c.ClientIP())
	if wait := d.throttle.wait(client); wait > 0 {
		d.refuseLogin(c, next, wait)
		return
	}
	if !d.sessions.CheckToken(c.PostForm("password")) {
		if wait := d.throttle.fail(client); wait > 0 {
			d.refuseLogin(c, next, wait)
			return
		}
		c.Set("refused", "login")
		d.render(c, http.StatusUnauthorized, "login", loginData{page: page{Title: "Log in"}, Next: next,
			Error: "That is not the admin token."})
		return
	}
	d.throttle.succeed(client)
	d.sessions.Start(c.Writer, c.Request)
	c.Set("login", "session started")
	c.Redirect(http.StatusSeeOther, next)
}

// refuseLogin answers a throttled client: 429, and when to try again.
func (d *Dashboard) refuseLogin(c *gin.Context, next string, wait time.Duration) {
	secs := int(math.Ceil(wait.Seconds()))
	c.Set("refused", "login throttled")
	c.Header("Retry-After", strconv.Itoa(secs))
	d.render(c, http.StatusTooManyRequests, "login", loginData{page: page{Title: "Log in"}, Next: next,
		Error: "Too many wrong tokens from this address: try again in " + waitWords(secs) + "."})
}

// waitWords says a wait of secs seconds in words: "40 seconds", "2 minutes".
func waitWords(secs int) string {
	if secs < 60 {
		return plural(secs, "second", "seconds")
	}
	return plural((secs+59)/60, "minute", "minutes")
}

// logout serves POST /logout: the session is ended on every replica (a
// copy of its cookie opens nothing), then deleted from the browser. When
// it cannot be ended now the page says so, and the browser keeps its
// cookie to try again.
func (d *Dashboard) logout(c *gin.Context) {
	if err := d.sessions.End(c.Writer, c.Request); err != nil {
		d.fail(c, http.StatusServiceUnavailable, "You are still logged in: the session could not be ended now. Try again in a moment.", err)
		return
	}
	c.Redirect(http.StatusSeeOther, api.LoginPath)
}

// localPath is next when it is a path on this site, else "/": the login
// must not send the browser to another site (an open redirect). Browsers
// drop tabs and newlines from a URL and read a backslash as a slash, so
// "/\t/evil.example" and "/\\evil.example" are other sites too.
func localPath(next string) string {
	if strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "/"
	}
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}
