package api_test

import (
	"crypto/tls"
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
