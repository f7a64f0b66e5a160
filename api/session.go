package api

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SessionCookie is the cookie the browser login sets.
const SessionCookie = "backorderd_session"

// SessionTTL is how long a browser login lasts: a working day, so that a
// laptop left logged in does not stay so for weeks.
const SessionTTL = 12 * time.Hour

// Sessions signs and checks the browser login's cookie. The cookie holds
// its expiry and a random nonce, signed with HMAC-SHA256 under a key
// derived from the admin token: every replica of serve accepts a cookie
// another issued, with no shared state, and changing ADMIN_TOKEN ends every
// session. A session cannot be revoked before it expires except that way;
// logging out deletes the browser's copy.
type Sessions struct {
	key   []byte
	token [sha256.Size]byte
	now   func() time.Time
}

// NewSessions makes the sessions of the admin token.
func NewSessions(token string) *Sessions {
	mac := hmac.New(sha256.New, []byte(token))
	mac.Write([]byte("backorderd browser session v1"))
	return &Sessions{key: mac.Sum(nil), token: sha256.Sum256([]byte(token)), now: time.Now}
}

// SetClock replaces the clock sessions expire by (tests).
func (s *Sessions) SetClock(now func() time.Time) { s.now = now }

// CheckToken tells whether password is the admin token, in the same time
// whatever the guess.
func (s *Sessions) CheckToken(password string) bool {
	got := sha256.Sum256([]byte(password))
	return subtle.ConstantTimeCompare(got[:], s.token[:]) == 1
}

// Start sets a new session cookie on w: HttpOnly (no script reads it),
// SameSite=Strict (no other site's page sends it), Secure when the request
// came over https (directly or through a proxy that says so).
func (s *Sessions) Start(w http.ResponseWriter, r *http.Request) {
	expires := s.now().Add(SessionTTL)
	var nonce [12]byte
	_, _ = rand.Read(nonce[:])
	payload := strconv.FormatInt(expires.Unix(), 10) + "." + base64.RawURLEncoding.EncodeToString(nonce[:])
	http.SetCookie(w, s.cookie(r, payload+"."+s.sign(payload), expires))
}

// End deletes the session cookie from the browser.
func (s *Sessions) End(w http.ResponseWriter, r *http.Request) {
	c := s.cookie(r, "", time.Unix(0, 0)) //nolint:gosec // see cookie
	c.MaxAge = -1
	http.SetCookie(w, c)
}

// Valid tells whether r carries a session cookie this token signed that
// has not expired.
func (s *Sessions) Valid(r *http.Request) bool {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(c.Value, '.')
	if i < 0 {
		return false
	}
	payload, sig := c.Value[:i], c.Value[i+1:]
	if !hmac.Equal([]byte(sig), []byte(s.sign(payload))) {
		return false
	}
	exp, _, _ := strings.Cut(payload, ".")
	unix, err := strconv.ParseInt(exp, 10, 64)
	return err == nil && s.now().Before(time.Unix(unix, 0))
}

func (s *Sessions) sign(payload string) string {
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// cookie is Secure when the request came over https; on plain http (the
// embedded default on localhost) a Secure cookie would never come back.
func (s *Sessions) cookie(r *http.Request, value string, expires time.Time) *http.Cookie {
	return &http.Cookie{ //nolint:gosec // Secure whenever the browser uses https: see above
		Name: SessionCookie, Value: value, Path: "/", Expires: expires,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: IsHTTPS(r),
	}
}

// IsHTTPS tells whether the browser reached us over https: TLS here, or a
// proxy in front that terminated it and says so.
func IsHTTPS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}
