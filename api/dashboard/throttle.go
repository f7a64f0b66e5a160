package dashboard

import (
	"net"
	"sync"
	"time"
)

// The login's throttle: a client that gives a wrong token loginFailures
// times within loginWindow is refused (429) for loginLockout, twice as long
// for each lockout that follows without a good login between them, up to
// loginMaxLockout. A good login from elsewhere is not held up. The counts
// live in this process's memory: with several serve replicas behind a load
// balancer a client gets loginFailures tries per replica, and a restart
// forgets them (docs/dashboard.md).
const (
	loginFailures   = 5
	loginWindow     = time.Minute
	loginLockout    = time.Minute
	loginMaxLockout = time.Hour
	// loginClients bounds the clients remembered: past it, those with
	// nothing left to remember are forgotten first.
	loginClients = 10_000
)

type throttle struct {
	mu      sync.Mutex
	now     func() time.Time
	clients map[string]*loginClient
}

// loginClient is one client's recent failures.
type loginClient struct {
	windowStart time.Time // the first failure counted
	failures    int       // since windowStart
	lockouts    int       // lockouts in a row
	until       time.Time // refused until then
	last        time.Time // the last failure
}

func newThrottle(now func() time.Time) *throttle {
	return &throttle{now: now, clients: map[string]*loginClient{}}
}

// clientKey is who the throttle counts for an address: the address, or
// for IPv6 its /64 (one household, one server's range).
func clientKey(ip string) string {
	addr := net.ParseIP(ip)
	if addr == nil || addr.To4() != nil {
		return ip
	}
	return addr.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// wait is how long the client is still refused; 0 when it may try.
func (t *throttle) wait(client string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.clients[client]
	if c == nil {
		return 0
	}
	return max(c.until.Sub(t.now()), 0)
}

// fail counts a wrong token from the client, and locks it out at the
// limit; it returns how long the client is now refused (0: not yet).
func (t *throttle) fail(client string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	c := t.clients[client]
	if c == nil {
		if len(t.clients) >= loginClients {
			t.forget(now)
		}
		c = &loginClient{}
		t.clients[client] = c
	}
	if now.Sub(c.last) > loginMaxLockout {
		c.lockouts = 0 // quiet long enough: start again
	}
	if now.Sub(c.windowStart) > loginWindow {
		c.windowStart, c.failures = now, 0
	}
	c.failures++
	c.last = now
	if c.failures < loginFailures {
		return 0
	}
	lockout := min(loginLockout<<c.lockouts, loginMaxLockout)
	c.lockouts++
	c.until, c.failures, c.windowStart = now.Add(lockout), 0, now.Add(lockout)
	return lockout
}

// succeed forgets the client's failures: it had the token.
func (t *throttle) succeed(client string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.clients, client)
}

// forget drops the clients with nothing left to remember (not refused, no
// lockout that still counts), and if none, any one: the map stays bounded.
func (t *throttle) forget(now time.Time) {
	for k, c := range t.clients {
		if now.After(c.until) && now.Sub(c.last) > loginMaxLockout {
			delete(t.clients, k)
		}
	}
	for k := range t.clients {
		if len(t.clients) < loginClients {
			return
		}
		delete(t.clients, k)
	}
}
