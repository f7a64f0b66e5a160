package main

// The fault tests' load balancer: round robin over the serves, passing a
// request on to the next serve when one refuses the connection (it never
// reached that one), and recording the dedupe key of every delivery a
// serve answered 2xx — each must end as an inbox row.

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/backorderd/backorderd/integrations/shopify"
	"github.com/backorderd/backorderd/integrations/woocommerce"
)

// intakeProxy is the httptest server in front of the serves.
type intakeProxy struct {
	srv      *httptest.Server
	client   *http.Client
	mu       sync.Mutex
	backends []string
	next     int
	answered map[string]bool
}

func newIntakeProxy(t *testing.T) *intakeProxy {
	t.Helper()
	p := &intakeProxy{answered: map[string]bool{},
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

// add puts a serve behind the proxy.
func (p *intakeProxy) add(addr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.backends = append(p.backends, addr)
}

// remove takes a serve out (once it has stopped).
func (p *intakeProxy) remove(addr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, b := range p.backends {
		if b == addr {
			p.backends = append(p.backends[:i], p.backends[i+1:]...)
			return
		}
	}
}

func (p *intakeProxy) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	backends := append([]string(nil), p.backends...)
	first := p.next
	p.next++
	p.mu.Unlock()
	for i := range backends {
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, "http://"+backends[(first+i)%len(backends)]+r.URL.RequestURI(), bytes.NewReader(body))
		req.Header = r.Header.Clone()
		resp, err := p.client.Do(req)
		if errors.Is(err, syscall.ECONNREFUSED) {
			continue // that serve is gone; this request never reached it
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		out, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		// A topic backorderd does not act on is answered 200 and not recorded.
		if resp.StatusCode/100 == 2 && strings.HasPrefix(r.URL.Path, "/webhooks/") && !bytes.Contains(out, []byte(`"ignored"`)) {
			p.record(r, body)
		}
		for k, vs := range resp.Header {
			w.Header()[k] = vs
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(out)
		return
	}
	http.Error(w, "no serve answers", http.StatusBadGateway)
}

// record notes the dedupe key the receiver gives the delivery.
func (p *intakeProxy) record(r *http.Request, body []byte) {
	var key string
	switch r.URL.Path {
	case "/webhooks/shopify":
		key = shopify.DedupeKey(r.Header.Get(shopify.HeaderTopic), r.Header.Get(shopify.HeaderEventID),
			r.Header.Get(shopify.HeaderWebhookID), body)
	case "/webhooks/woocommerce":
		key = woocommerce.DedupeKey(r.Header.Get(woocommerce.HeaderTopic), body)
	default:
		return
	}
	p.mu.Lock()
	p.answered[key] = true
	p.mu.Unlock()
}

// answeredKeys are the dedupe keys of the deliveries answered 2xx.
func (p *intakeProxy) answeredKeys() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	keys := make([]string, 0, len(p.answered))
	for k := range p.answered {
		keys = append(keys, k)
	}
	return keys
}
