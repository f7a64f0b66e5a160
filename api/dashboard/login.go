package dashboard

import (
	"net/http"
	"strings"

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
// again with 401.
func (d *Dashboard) login(c *gin.Context) {
	next := localPath(c.PostForm("next"))
	if !d.sessions.CheckToken(c.PostForm("password")) {
		c.Set("refused", "login")
		d.render(c, http.StatusUnauthorized, "login", loginData{page: page{Title: "Log in"}, Next: next,
			Error: "That is not the admin token."})
		return
	}
	d.sessions.Start(c.Writer, c.Request)
	c.Set("login", "session started")
	c.Redirect(http.StatusSeeOther, next)
}

// logout serves POST /logout.
func (d *Dashboard) logout(c *gin.Context) {
	d.sessions.End(c.Writer, c.Request)
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
