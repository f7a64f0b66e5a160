package api_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/api"
)

// sessionCookie logs in with sessions at now and returns the cookie set.
func sessionCookie(t *testing.T, s *api.Sessions, req *http.Request) *http.Cookie {
	t.Helper()
	rec := httptest.NewRecorder()
	s.Start(rec, req)
	cs := rec.Result().Cookies()
	if len(cs) != 1 || cs[0].Name != api.SessionCookie {
		t.Fatalf("cookies set = %v, want one %s", cs, api.SessionCookie)
	}
	return cs[0]
}

func TestSessionCookieIsHttpOnlyStrictAndSecureOverHTTPS(t *testing.T) {
	s := api.NewSessions("0123456789abcdef-token")
	tests := []struct {
		name   string
		req    func() *http.Request
		secure bool
	}{
		{"plain http", func() *http.Request { return httptest.NewRequest(http.MethodPost, "/login", nil) }, false},
		{"tls", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/login", nil)
			r.TLS = &tls.ConnectionState{}
			return r
		}, true},
		{"behind an https proxy", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/login", nil)
			r.Header.Set("X-Forwarded-Proto", "https")
			return r
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := sessionCookie(t, s, tt.req())
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure != tt.secure || c.Path != "/" {
				t.Errorf("cookie = %+v, want HttpOnly, SameSite=Strict, Path=/, Secure=%v", c, tt.secure)
			}
			if time.Until(c.Expires) > api.SessionTTL || time.Until(c.Expires) < api.SessionTTL-time.Minute {
				t.Errorf("cookie expires %v, want in %v", c.Expires, api.SessionTTL)
			}
		})
	}
}

func TestSessionCookieIsSecureOnPlainHTTPWhenThePublicURLIsHTTPS(t *testing.T) {
	s := api.NewSessionsWith("0123456789abcdef-token", api.SessionOptions{Secure: true})
	// A proxy that terminates TLS without saying so: the request looks
	// plain, but the browser is on https.
	c := sessionCookie(t, s, httptest.NewRequest(http.MethodPost, "/login", nil))
	if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
		t.Errorf("cookie = %+v, want Secure, HttpOnly, SameSite=Strict", c)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/logout", nil)
	req.AddCookie(c)
	if err := s.End(rec, req); err != nil {
		t.Fatal(err)
	}
	if out := rec.Result().Cookies(); len(out) != 1 || !out[0].Secure || out[0].MaxAge >= 0 {
		t.Errorf("logout set %v, want the cookie deleted with the same flags", out)
	}
}

// revocations keeps logged-out sessions in memory; err fails every call.
type revocations struct {
	nonces map[string]time.Time
	err    error
}

func (r *revocations) RevokeSession(_ context.Context, nonce string, expiresAt time.Time) error {
	if r.err != nil {
		return r.err
	}
	r.nonces[nonce] = expiresAt
	return nil
}

func (r *revocations) SessionRevoked(_ context.Context, nonce string) (bool, error) {
	_, ok := r.nonces[nonce]
	return ok, r.err
}

func TestALoggedOutSessionsCookieOpensNothingWhereverItWasCopied(t *testing.T) {
	gin.SetMode(gin.TestMode)
	const token = "0123456789abcdef-token"
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	kept := &revocations{nonces: map[string]time.Time{}}
	// Two replicas: each its own Sessions, one database.
	mine := api.NewSessionsWith(token, api.SessionOptions{Revocations: kept})
	replica := api.NewSessionsWith(token, api.SessionOptions{Revocations: kept})
	for _, s := range []*api.Sessions{mine, replica} {
		s.SetClock(func() time.Time { return now })
	}
	r := gin.New()
	r.GET("/page", api.RequireLogin(replica), func(c *gin.Context) { c.String(http.StatusOK, "in") })
	login := sessionCookie(t, mine, httptest.NewRequest(http.MethodPost, "/login", nil))
	other := sessionCookie(t, mine, httptest.NewRequest(http.MethodPost, "/login", nil))
	open := func(c *http.Cookie) int {
		req := httptest.NewRequest(http.MethodGet, "/page", nil)
		req.AddCookie(c)
		return serve(r, req).Code
	}
	if open(login) != http.StatusOK {
		t.Fatal("a fresh session is refused")
	}
	logout := func(c *http.Cookie) (*httptest.ResponseRecorder, error) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/logout", nil)
		if c != nil {
			req.AddCookie(c)
		}
		return rec, mine.End(rec, req)
	}

	// The database is down: the session is not ended, and the browser
	// keeps its cookie to try again.
	kept.err = errors.New("database gone")
	if rec, err := logout(login); err == nil || len(rec.Result().Cookies()) != 0 {
		t.Errorf("logout with the database down = %v, cookies %v; want an error and the cookie kept", err, rec.Result().Cookies())
	}
	if code := open(login); code != http.StatusServiceUnavailable {
		t.Errorf("a session while the logouts cannot be read = %d, want 503", code)
	}
	kept.err = nil

	if _, err := logout(login); err != nil {
		t.Fatal(err)
	}
	if code := open(login); code != http.StatusUnauthorized {
		t.Errorf("a copy of the logged-out cookie on another replica = %d, want 401", code)
	}
	if mine.Valid(cookieRequest(login)) {
		t.Error("Valid accepts a logged-out session")
	}
	if code := open(other); code != http.StatusOK {
		t.Errorf("another session after the logout = %d, want 200", code)
	}
	if exp, ok := kept.nonces[strings.Split(login.Value, ".")[1]]; !ok || !exp.Equal(now.Add(api.SessionTTL).Truncate(time.Second)) {
		t.Errorf("kept %v, want the session's nonce until it expires", kept.nonces)
	}
	// A forged or expired cookie is not recorded: nothing to end.
	n := len(kept.nonces)
	for _, c := range []*http.Cookie{{Name: api.SessionCookie, Value: "4102444800.forged.sig"}, nil} {
		if rec, err := logout(c); err != nil || len(rec.Result().Cookies()) != 1 {
			t.Errorf("logout with cookie %v = %v, want the browser's copy deleted", c, err)
		}
	}
	if len(kept.nonces) != n {
		t.Errorf("a forged cookie's logout was recorded: %v", kept.nonces)
	}
}

func cookieRequest(c *http.Cookie) *http.Request {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.AddCookie(c)
	return req
}

func TestSessionIsRefusedWhenExpiredTamperedOrSignedByAnotherToken(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	s := api.NewSessions("0123456789abcdef-token")
	s.SetClock(func() time.Time { return now })
	good := sessionCookie(t, s, httptest.NewRequest(http.MethodPost, "/login", nil))
	other := api.NewSessions("another-token-entirely")
	other.SetClock(func() time.Time { return now })
	foreign := sessionCookie(t, other, httptest.NewRequest(http.MethodPost, "/login", nil))
	exp, rest, _ := strings.Cut(good.Value, ".")
	tests := []struct {
		name  string
		value string
		at    time.Time
		want  bool
	}{
		{"fresh", good.Value, now, true},
		{"just before expiry", good.Value, now.Add(api.SessionTTL - time.Second), true},
		{"expired", good.Value, now.Add(api.SessionTTL), false},
		{"expiry moved later", exp + "9." + rest, now, false},
		{"signature cut", good.Value[:len(good.Value)-2], now, false},
		{"another token's", foreign.Value, now, false},
		{"empty", "", now, false},
		{"garbage", "not-a-session", now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.SetClock(func() time.Time { return tt.at })
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: tt.value})
			if got := s.Valid(req); got != tt.want {
				t.Errorf("Valid = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRequireTokenTakesTheLoginCookieAndSendsABrowserWithoutOneToTheLogin(t *testing.T) {
	gin.SetMode(gin.TestMode)
	const token = "0123456789abcdef-token"
	r := gin.New()
	r.GET("/page", api.RequireToken(token), func(c *gin.Context) { c.String(http.StatusOK, "in as "+c.GetString(api.ActorKey)) })
	login := sessionCookie(t, api.NewSessions(token), httptest.NewRequest(http.MethodPost, "/login", nil))
	tests := []struct {
		name     string
		set      func(*http.Request)
		want     int
		location string
	}{
		{"login cookie", func(r *http.Request) { r.AddCookie(login) }, http.StatusOK, ""},
		{"browser opening the page", func(r *http.Request) {
			r.Header.Set("Sec-Fetch-Mode", "navigate")
			r.Header.Set("Accept", "text/html")
		}, http.StatusSeeOther, "/login?next=%2Fpage%3Fsort%3Dwaiting"},
		{"old browser opening the page", func(r *http.Request) { r.Header.Set("Accept", "text/html,*/*") },
			http.StatusSeeOther, "/login?next=%2Fpage%3Fsort%3Dwaiting"},
		{"a page's own fetch", func(r *http.Request) {
			r.Header.Set("Sec-Fetch-Mode", "cors")
			r.Header.Set("Accept", "text/html")
		}, http.StatusUnauthorized, ""},
		{"browser with a wrong password", func(r *http.Request) {
			r.Header.Set("Sec-Fetch-Mode", "navigate")
			r.SetBasicAuth("operator", "guess")
		}, http.StatusUnauthorized, ""},
		{"wrong bearer beside a good cookie", func(r *http.Request) {
			r.AddCookie(login)
			r.Header.Set("Authorization", "Bearer guess")
		}, http.StatusUnauthorized, ""},
		{"script without credentials", func(*http.Request) {}, http.StatusUnauthorized, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/page?sort=waiting", nil)
			tt.set(req)
			rec := serve(r, req)
			if rec.Code != tt.want {
				t.Fatalf("status = %d, want %d", rec.Code, tt.want)
			}
			if got := rec.Header().Get("Location"); got != tt.location {
				t.Errorf("Location = %q, want %q", got, tt.location)
			}
			if rec.Code == http.StatusOK && rec.Body.String() != "in as "+api.SessionActor {
				t.Errorf("a session let in %q, want the audit to name %q", rec.Body.String(), api.SessionActor)
			}
		})
	}
}
