package api

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
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
// another issued, and changing ADMIN_TOKEN ends every session. Logging out
// ends one session everywhere: its nonce is kept as revoked (in the
// database, shared by every replica) until the cookie would have expired,
// so a copy of the cookie opens nothing after that.
type Sessions struct {
	key     []byte
	token   [sha256.Size]byte
	now     func() time.Time
	secure  bool
	revoked Revocations
}

// Revocations keeps the sessions logged out before their expiry.
type Revocations interface {
	// RevokeSession keeps nonce as logged out until expiresAt.
	RevokeSession(ctx context.Context, nonce string, expiresAt time.Time) error
	// SessionRevoked tells whether nonce was logged out.
	SessionRevoked(ctx context.Context, nonce string) (bool, error)
}

// SessionOptions are how the process serves its login.
type SessionOptions struct {
	// Secure marks the cookie Secure on every answer, not only those to a
	// request that came over https: the process is reached at an https
	// PUBLIC_URL.
	Secure bool
	// Revocations keeps logged-out sessions; nil: logging out only deletes
	// the browser's copy (tests of other parts).
	Revocations Revocations
}

// NewSessions makes the sessions of the admin token, with no place to keep
// logged-out sessions (see NewSessionsWith).
func NewSessions(token string) *Sessions { return NewSessionsWith(token, SessionOptions{}) }

// NewSessionsWith makes the sessions of the admin token as o says.
func NewSessionsWith(token string, o SessionOptions) *Sessions {
	mac := hmac.New(sha256.New, []byte(token))
	mac.Write([]byte("backorderd browser session v1"))
	return &Sessions{key: mac.Sum(nil), token: sha256.Sum256([]byte(token)), now: time.Now,
		secure: o.Secure, revoked: o.Revocations}
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
// SameSite=Strict (no other site's page sends it), Secure when the process
// is reached at an https PUBLIC_URL or the request came over https
// (directly or through a proxy that says so).
func (s *Sessions) Start(w http.ResponseWriter, r *http.Request) {
	expires := s.now().Add(SessionTTL)
	var nonce [12]byte
	_, _ = rand.Read(nonce[:])
	payload := strconv.FormatInt(expires.Unix(), 10) + "." + base64.RawURLEncoding.EncodeToString(nonce[:])
	http.SetCookie(w, s.cookie(r, payload+"."+s.sign(payload), expires))
}

// End logs the request's session out: its nonce is kept as revoked until
// its expiry, then the cookie is deleted from the browser. When the
// revocation cannot be kept, the cookie stays (the browser can try again)
// and the error says why.
func (s *Sessions) End(w http.ResponseWriter, r *http.Request) error {
	if sess, ok := s.parse(r); ok && s.revoked != nil {
		if err := s.revoked.RevokeSession(r.Context(), sess.nonce, sess.expires); err != nil {
			return fmt.Errorf("end the session: %w", err)
		}
	}
	c := s.cookie(r, "", time.Unix(0, 0)) //nolint:gosec // see cookie
	c.MaxAge = -1
	http.SetCookie(w, c)
	return nil
}

// Valid tells whether r carries a session cookie this token signed that
// has neither expired nor been logged out; a session that cannot be
// checked is not valid.
func (s *Sessions) Valid(r *http.Request) bool {
	ok, err := s.Check(r)
	return ok && err == nil
}

// Check tells whether r carries a session cookie this token signed that
// has neither expired nor been logged out; an error when the revocations
// cannot be read.
func (s *Sessions) Check(r *http.Request) (bool, error) {
	sess, ok := s.parse(r)
	if !ok {
		return false, nil
	}
	if s.revoked == nil {
		return true, nil
	}
	revoked, err := s.revoked.SessionRevoked(r.Context(), sess.nonce)
	if err != nil {
		return false, fmt.Errorf("check the session: %w", err)
	}
	return !revoked, nil
}

// session is what a cookie holds.
type session struct {
	expires time.Time
	nonce   string
}

// parse reads r's session cookie: ok when this token signed it and it has
// not expired.
func (s *Sessions) parse(r *http.Request) (session, bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return session{}, false
	}
	i := strings.LastIndexByte(c.Value, '.')
	if i < 0 {
		return session{}, false
	}
	payload, sig := c.Value[:i], c.Value[i+1:]
	if !hmac.Equal([]byte(sig), []byte(s.sign(payload))) {
		return session{}, false
	}
	exp, nonce, _ := strings.Cut(payload, ".")
	unix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || nonce == "" {
		return session{}, false
	}
	expires := time.Unix(unix, 0)
	if !s.now().Before(expires) {
		return session{}, false
	}
	return session{expires: expires, nonce: nonce}, true
}

func (s *Sessions) sign(payload string) string {
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// cookie is Secure when the process is reached at an https PUBLIC_URL or
// the request came over https; on plain http without one (the embedded
// default on localhost) a Secure cookie would never come back.
func (s *Sessions) cookie(r *http.Request, value string, expires time.Time) *http.Cookie {
	return &http.Cookie{ //nolint:gosec // Secure whenever the browser uses https: see above
		Name: SessionCookie, Value: value, Path: "/", Expires: expires,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure || IsHTTPS(r),
	}
}

// IsHTTPS tells whether the browser reached us over https: TLS here, or a
// proxy in front that terminated it and says so.
func IsHTTPS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}
