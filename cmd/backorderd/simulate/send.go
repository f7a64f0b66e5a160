package simulate

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// sender posts deliveries as the store would: signed, over a pool of
// connections, each retried with backoff until answered 2xx — as the
// stores retry — within a bound.
type sender struct {
	s      *Scenario
	t      Target
	r      RunOptions
	client *http.Client
	urls   []string // the instances' base URLs, taken in turn
	total  int
	sent   atomic.Int64
	// finished closes, once, a delivery's channel when it is answered 2xx
	// or given up on: what waits for it goes on.
	finished []chan struct{}
	once     []*sync.Once

	mu        sync.Mutex
	latencies []time.Duration
	status    map[int]int
	retries   int
	lost      []string // deliveries never answered 2xx
	last2xx   time.Time
}

// retryMaxWait bounds the wait between two attempts of a delivery.
const retryMaxWait = 2 * time.Second

func newSender(s *Scenario, t Target, r RunOptions) *sender {
	total := 0
	for _, p := range s.plans {
		total += len(p.order) + len(p.tails)
	}
	var urls []string
	for u := range strings.SplitSeq(t.URL, ",") {
		if u = strings.TrimRight(strings.TrimSpace(u), "/"); u != "" {
			urls = append(urls, u)
		}
	}
	sd := &sender{s: s, t: t, r: r, client: t.Client, urls: urls, total: total, status: map[int]int{}}
	sd.grow(plan{})
	return sd
}

// grow takes in the deliveries of a phase built as the run got there, and
// counts p's sends in the total. Called between phases, never while
// sending.
func (sd *sender) grow(p plan) {
	for len(sd.finished) < len(sd.s.out) {
		sd.finished = append(sd.finished, make(chan struct{}))
		sd.once = append(sd.once, new(sync.Once))
	}
	sd.total += len(p.order) + len(p.tails)
}

// sendPhase sends one phase's plan, then its tails, and returns when every
// delivery was answered 2xx or given up on.
func (sd *sender) sendPhase(ctx context.Context, p plan) {
	sd.sendAll(ctx, p.order)
	sd.sendAll(ctx, p.tails)
}

// sendAll sends deliveries over the connections at the rate asked.
func (sd *sender) sendAll(ctx context.Context, order []int) {
	if len(order) == 0 {
		return
	}
	work := make(chan int)
	var wg sync.WaitGroup
	for range sd.r.Connections {
		wg.Go(func() {
			for i := range work {
				sd.deliver(ctx, i)
			}
		})
	}
	start := time.Now()
	for n, i := range order {
		if sd.r.Rate > 0 {
			if wait := time.Until(start.Add(time.Duration(float64(n) / sd.r.Rate * float64(time.Second)))); wait > 0 {
				sleep(ctx, wait)
			}
		}
		select {
		case work <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(work)
	wg.Wait()
}

// deliver sends delivery i until it is answered 2xx, after the delivery
// it waits for.
func (sd *sender) deliver(ctx context.Context, i int) {
	d := &sd.s.out[i]
	if d.after >= 0 {
		select {
		case <-sd.finished[d.after]:
		case <-ctx.Done():
			return
		}
	}
	start := time.Now()
	wait := 50 * time.Millisecond
	for attempt := 0; ; attempt++ {
		code, err := sd.post(ctx, sd.urls[(i+attempt)%len(sd.urls)], d)
		sd.mu.Lock()
		sd.status[code]++
		if attempt > 0 {
			sd.retries++
		}
		sd.mu.Unlock()
		if err == nil && code >= 200 && code < 300 {
			break
		}
		if ctx.Err() != nil || time.Since(start) > sd.r.RetryFor {
			sd.mu.Lock()
			sd.lost = append(sd.lost, fmt.Sprintf("%s delivery %s never answered 2xx (last: %d %v)", d.topic, d.eventID, code, err))
			sd.mu.Unlock()
			sd.finish(i)
			return
		}
		sleep(ctx, wait)
		wait = min(2*wait, retryMaxWait)
	}
	now := time.Now()
	sd.mu.Lock()
	sd.latencies = append(sd.latencies, now.Sub(start))
	sd.last2xx = now
	sd.mu.Unlock()
	sd.finish(i)
	n := int(sd.sent.Add(1))
	if sd.r.OnSent != nil {
		sd.r.OnSent(n, sd.total)
	}
}

// finish lets what waits for delivery i go on.
func (sd *sender) finish(i int) {
	sd.once[i].Do(func() { close(sd.finished[i]) })
}

// post makes one attempt at the instance at base: status 0 when no answer
// came. A retry goes to the next instance, as a load balancer would.
func (sd *sender) post(ctx context.Context, base string, d *delivery) (int, error) {
	path, headers := sd.headers(d)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, bytes.NewReader(d.body))
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := sd.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("post delivery: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// headers are the path and headers of d as its store sends it, signed
// with the shop's secret: base64 of the body's HMAC-SHA256 in both stores.
func (sd *sender) headers(d *delivery) (string, map[string]string) {
	mac := hmac.New(sha256.New, []byte(sd.t.Secret))
	mac.Write(d.body)
	sig := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if sd.s.opts.Platform == WooCommerce {
		resource, event, _ := strings.Cut(d.topic, ".")
		return "/webhooks/woocommerce", map[string]string{
			"Content-Type": "application/json", "User-Agent": "WooCommerce/9.8.5 Hookshot (WordPress/6.8.3)",
			"X-WC-Webhook-Source": sd.t.ShopDomain, "X-WC-Webhook-Topic": d.topic,
			"X-WC-Webhook-Resource": resource, "X-WC-Webhook-Event": event, "X-WC-Webhook-Signature": sig,
			"X-WC-Webhook-ID": "1", "X-WC-Webhook-Delivery-ID": strings.ReplaceAll(d.eventID, "-", ""),
		}
	}
	return "/webhooks/shopify", map[string]string{
		"Content-Type": "application/json", "X-Shopify-Topic": d.topic, "X-Shopify-Hmac-Sha256": sig,
		"X-Shopify-Shop-Domain": sd.t.ShopDomain, "X-Shopify-API-Version": "2025-10",
		"X-Shopify-Webhook-Id": d.eventID, "X-Shopify-Event-Id": d.eventID,
		"X-Shopify-Triggered-At": d.at.UTC().Format(time.RFC3339Nano),
	}
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
