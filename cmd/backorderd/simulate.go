package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/backorderd/backorderd/cmd/backorderd/simulate"
)

const simulateUsage = `usage: backorderd simulate [--url URL] [--platform shopify|woocommerce] [--orders 500] [--items 20]
  [--short 0.3] [--rate 0] [--connections 16] [--duplicates 0] [--out-of-order 0] [--drop 0]
  [--cancel 0] [--refund 0] [--edit 0] [--restock] [--po-receipts] [--seed N] [--timeout 2m] [--json]
sends a flash sale to a running instance (--url; several comma-separated share the deliveries; shop, secret and admin token from --shop, --secret,
--admin-token or SHOPIFY_SHOP_DOMAIN/SHOPIFY_WEBHOOK_SECRET, WOOCOMMERCE_STORE_URL/WOOCOMMERCE_WEBHOOK_SECRET,
ADMIN_TOKEN), or without --url to one it starts itself, and checks the outcome against its own model;
--po-receipts (purchase orders made by the instance's reorder run, received, then the store's levels) is on without --url`

// usageError is a command line that cannot be run as given: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// simulateFlags is the parsed command line of simulate.
type simulateFlags struct {
	opts                               simulate.Options
	run                                simulate.RunOptions
	url, adminURL, shop, secret, token string
	json                               bool
}

// parseSimulate reads the command line; a bad one is a usageError naming
// the flag.
func parseSimulate(args []string, getenv func(string) string) (simulateFlags, error) {
	var f simulateFlags
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.url, "url", "", "")
	fs.StringVar(&f.adminURL, "admin-url", "", "")
	fs.StringVar(&f.shop, "shop", "", "")
	fs.StringVar(&f.secret, "secret", "", "")
	fs.StringVar(&f.token, "admin-token", getenv("ADMIN_TOKEN"), "")
	fs.StringVar(&f.opts.Platform, "platform", simulate.Shopify, "")
	fs.IntVar(&f.opts.Orders, "orders", 500, "")
	fs.IntVar(&f.opts.Items, "items", 20, "")
	fs.Float64Var(&f.opts.Short, "short", 0.3, "")
	fs.Float64Var(&f.opts.Duplicates, "duplicates", 0, "")
	fs.Float64Var(&f.opts.OutOfOrder, "out-of-order", 0, "")
	fs.Float64Var(&f.opts.Drop, "drop", 0, "")
	fs.Float64Var(&f.opts.Cancel, "cancel", 0, "")
	fs.Float64Var(&f.opts.Refund, "refund", 0, "")
	fs.Float64Var(&f.opts.Edit, "edit", 0, "")
	fs.BoolVar(&f.opts.Restock, "restock", false, "")
	fs.BoolVar(&f.opts.POReceipts, "po-receipts", false, "")
	fs.Uint64Var(&f.opts.Seed, "seed", 1, "")
	fs.StringVar(&f.opts.RunID, "run-id", "", "")
	fs.Float64Var(&f.run.Rate, "rate", 0, "")
	fs.IntVar(&f.run.Connections, "connections", 16, "")
	fs.DurationVar(&f.run.SettleTimeout, "timeout", 2*time.Minute, "")
	fs.BoolVar(&f.json, "json", false, "")
	if err := fs.Parse(args); err != nil {
		return f, usageError{fmt.Sprintf("simulate: %v\n%s", err, simulateUsage)}
	}
	// Purchase-order receipts need the instance's reorder run within the
	// timeout: the embedded instance runs it every second, so its demo
	// includes them unless told otherwise; an instance of --url, only when
	// asked.
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if !set["po-receipts"] && f.url == "" {
		f.opts.POReceipts = true
	}
	if fs.NArg() > 0 {
		return f, usageError{fmt.Sprintf("simulate: unexpected argument %q\n%s", fs.Arg(0), simulateUsage)}
	}
	switch {
	case f.run.Rate < 0:
		return f, usageError{"simulate: --rate must be 0 (as fast as possible) or more deliveries a second"}
	case f.run.Connections < 1:
		return f, usageError{"simulate: --connections must be at least 1"}
	case f.run.SettleTimeout <= 0:
		return f, usageError{"simulate: --timeout must be positive"}
	}
	if f.url != "" {
		shopVar, secretVar := "SHOPIFY_SHOP_DOMAIN", "SHOPIFY_WEBHOOK_SECRET" //nolint:gosec // variable names, not secrets
		if f.opts.Platform == simulate.WooCommerce {
			shopVar, secretVar = "WOOCOMMERCE_STORE_URL", "WOOCOMMERCE_WEBHOOK_SECRET" //nolint:gosec // variable names, not secrets
		}
		f.shop, f.secret = cmp.Or(f.shop, getenv(shopVar)), cmp.Or(f.secret, getenv(secretVar))
		for name, v := range map[string]string{"--shop (or " + shopVar + ")": f.shop,
			"--secret (or " + secretVar + ")": f.secret, "--admin-token (or ADMIN_TOKEN)": f.token} {
			if v == "" {
				return f, usageError{"simulate: " + name + " is needed with --url"}
			}
		}
	}
	return f, nil
}

// simulateCommand runs `backorderd simulate`: against --url, or against
// an instance of its own started in-process.
func simulateCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f, err := parseSimulate(args, getenv)
	if err != nil {
		return err
	}
	sc, err := simulate.New(f.opts)
	if err != nil {
		return usageError{"simulate: --" + err.Error()}
	}
	if !f.json {
		f.run.Log = stderr
	}
	var rep *simulate.Report
	if f.url == "" {
		rep, err = simulateEmbedded(ctx, sc, f.run, getenv, stderr)
	} else {
		rep, err = sc.Run(ctx, simulate.Target{URL: f.url, AdminURL: f.adminURL, AdminToken: f.token,
			ShopDomain: f.shop, Secret: f.secret}, f.run)
	}
	if err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	if f.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("simulate: write report: %w", err)
		}
	} else {
		rep.Print(stdout)
	}
	if !rep.OK() {
		return fmt.Errorf("simulate: the outcome does not match the oracle (%d mismatches)", len(rep.Mismatches)+rep.MoreMismatches)
	}
	return nil
}
