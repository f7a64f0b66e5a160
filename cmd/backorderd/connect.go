package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/config"
	"github.com/backorderd/backorderd/integrations/storeapi"
	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
)

const connectUsage = `usage: backorderd shop connect ID|DOMAIN
registers in the shop's store every webhook topic backorderd handles, pointing at PUBLIC_URL
(the shop needs store credentials); prints what it found and changed`

const reconcileUsage = `usage: backorderd reconcile ID|DOMAIN [--since 2026-11-30T00:00:00Z|24h]
reads what the shop's store changed since its last poll (or --since, a time or how long ago)
and records each change in the inbox, applied by the worker as a webhook would be`

// storeDeps are what the commands that call a shop's store need: its
// store clients (credentials opened with SECRETS_KEY), PUBLIC_URL, the
// dispatcher that enqueues on REDIS_URL (what it cannot enqueue, the
// worker's relay does), and RECONCILE_LOOKBACK for a shop never polled.
type storeDeps struct {
	clients    jobs.StoreClients
	dispatcher *jobs.Dispatcher
	publicURL  string
	lookback   time.Duration
}

// shopConnect runs `shop connect`: it connects the shop's webhooks and
// prints the report, one line per subscription.
func shopConnect(ctx context.Context, st *store.Store, deps storeDeps, args []string, stdout io.Writer) error {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		return errors.New(connectUsage)
	}
	shop, err := findShop(ctx, st, args[0])
	if err != nil {
		return err
	}
	rep, err := jobs.ConnectShop(ctx, st, deps.clients, deps.dispatcher, shop, deps.publicURL)
	if errors.Is(err, jobs.ErrNoStoreClient) {
		return fmt.Errorf("shop %d has no store credentials: it works on webhooks alone until it has", shop.ID)
	}
	if err != nil {
		return err
	}
	return printConnectReport(stdout, shop, rep)
}

// printConnectReport prints what connecting found and did.
func printConnectReport(w io.Writer, shop store.Shop, rep storeapi.ConnectReport) error {
	var b strings.Builder
	for _, group := range []struct {
		what string
		subs []storeapi.Subscription
	}{
		{"found", rep.Found}, {"created", rep.Created}, {"replaced", rep.Replaced},
		{"re-enabled", rep.Reenabled}, {"removed", rep.Removed},
	} {
		for _, s := range group.subs {
			fmt.Fprintf(&b, "%-10s  %-24s  %s", group.what, s.Topic, s.URL)
			if s.ID != "" {
				fmt.Fprintf(&b, "  (id %s)", s.ID)
			}
			b.WriteString("\n")
		}
	}
	if rep.Changed() {
		fmt.Fprintf(&b, "shop %d (%s): webhooks connected\n", shop.ID, shop.Domain)
	} else {
		fmt.Fprintf(&b, "shop %d (%s): every webhook was already connected; nothing changed\n", shop.ID, shop.Domain)
	}
	if len(rep.Reenabled) > 0 && shop.MerchantEmail != "" {
		fmt.Fprintf(&b, "the merchant (%s) is told which webhooks were re-enabled\n", shop.MerchantEmail)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// reconcileCommand runs `reconcile`: one poll of the shop's store, from
// its watermark or --since, and prints what it fetched and recorded.
func reconcileCommand(ctx context.Context, st *store.Store, deps storeDeps, args []string, stdout io.Writer, now time.Time) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return errors.New(reconcileUsage)
	}
	fs := flag.NewFlagSet("reconcile", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	sinceFlag := fs.String("since", "", "")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
		return errors.New(reconcileUsage)
	}
	since, err := parseSince(*sinceFlag, now)
	if err != nil {
		return err
	}
	shop, err := findShop(ctx, st, args[0])
	if err != nil {
		return err
	}
	poller := jobs.NewPoller(st, deps.clients, deps.dispatcher, deps.lookback, slog.New(slog.DiscardHandler))
	rep, err := poller.ReconcileShop(ctx, shop, since)
	if errors.Is(err, jobs.ErrNoStoreClient) {
		return fmt.Errorf("shop %d has no store credentials: it cannot be polled", shop.ID)
	}
	if err != nil {
		return err
	}
	wm := "unchanged"
	if rep.Watermark != nil {
		wm = rep.Watermark.UTC().Format(time.RFC3339)
	}
	_, err = fmt.Fprintf(stdout, "shop %d (%s): read changes since %s: %d fetched, %d recorded (%d already in the inbox); watermark %s\n",
		shop.ID, shop.Domain, rep.Since.UTC().Format(time.RFC3339), rep.Seen, rep.Recorded, rep.Seen-rep.Recorded, wm)
	if err == nil && rep.Recorded > 0 {
		_, err = fmt.Fprintln(stdout, "the worker applies the recorded changes as deliveries (GET /api/v1/inbox shows them)")
	}
	return err
}

// parseSince reads --since: an RFC 3339 time, or a duration back from now
// ("24h"); nil when empty (the shop's watermark).
func parseSince(v string, now time.Time) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return &t, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return nil, fmt.Errorf("--since %q: want a time (2026-11-30T00:00:00Z) or how long ago (24h)", v)
	}
	t := now.Add(-d)
	return &t, nil
}

// openStoreDeps builds what `shop connect` and `reconcile` need from the
// environment: the store clients (SECRETS_KEY opens the credentials), a
// dispatcher on REDIS_URL — without it, or with Redis down, the recorded
// deliveries wait for the worker's relay — PUBLIC_URL and
// RECONCILE_LOOKBACK. close releases the Redis connection.
func openStoreDeps(getenv func(string) string, st *store.Store) (deps storeDeps, close func(), err error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return storeDeps{}, nil, err
	}
	sealer, err := newSealer(cfg)
	if err != nil {
		return storeDeps{}, nil, err
	}
	log := slog.New(slog.DiscardHandler)
	var enq jobs.Enqueuer = noRedis{}
	close = func() {}
	if cfg.ExternalRedis() {
		rds, err := openRedis(cfg, log)
		if err != nil {
			return storeDeps{}, nil, err
		}
		client := asynq.NewClientFromRedisClient(rds.client)
		enq, close = client, func() { _ = client.Close(); rds.close() }
	}
	return storeDeps{clients: newStoreClients(cfg, st, sealer), dispatcher: jobs.NewDispatcher(enq, log),
		publicURL: cfg.PublicURL, lookback: cfg.ReconcileLookback}, close, nil
}

// noRedis is the enqueuer of a command run without REDIS_URL: what it
// records is enqueued by the worker's relay.
type noRedis struct{}

func (noRedis) EnqueueContext(context.Context, *asynq.Task, ...asynq.Option) (*asynq.TaskInfo, error) {
	return nil, errors.New("REDIS_URL is not set: the worker's relay enqueues what was recorded")
}

// reconcileCLI runs `reconcile` on the database and Redis of the
// environment.
func reconcileCLI(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return errors.New(reconcileUsage)
	}
	st, err := commandStore(ctx, getenv, stdout)
	if err != nil {
		return err
	}
	defer st.Close()
	deps, closeDeps, err := openStoreDeps(getenv, st)
	if err != nil {
		return err
	}
	defer closeDeps()
	return reconcileCommand(ctx, st, deps, args, stdout, time.Now())
}
