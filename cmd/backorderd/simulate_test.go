package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/cmd/backorderd/simulate"
)

func TestSimulateAgainstTheEmbeddedDefaultMatchesTheOracle(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an instance and waits for a sale to settle")
	}
	t.Chdir(t.TempDir()) // the embedded instance must leave nothing behind
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var stdout, stderr syncBuffer
	// A loaded machine can keep SQLite busy past the receiver's deadline:
	// the delivery is spooled and applied later, possibly after the level
	// that followed it. A settle of 3 s (not the demo's 1 s) keeps such a
	// late order inside its item's window; 4 connections keep the load down.
	env := map[string]string{"SETTLE_QUIET": "3s"}
	err := run(ctx, []string{"simulate", "--orders", "100", "--items", "8", "--connections", "4", "--duplicates", "0.2",
		"--out-of-order", "0.1", "--cancel", "0.05", "--refund", "0.05", "--edit", "0.05", "--restock", "--json",
		"--timeout", "1m"}, func(k string) string { return env[k] }, &stdout, &stderr)
	if err != nil {
		// The report (its mismatches) first: the instance's log follows it.
		t.Fatalf("simulate: %v\n%s\n%.20000s", err, stdout.String(), stderr.String())
	}
	var rep simulate.Report
	if err := json.Unmarshal([]byte(stdout.String()), &rep); err != nil {
		t.Fatalf("the --json report does not decode: %v\n%s", err, stdout.String())
	}
	if !rep.OK() || rep.Orders != 100 || rep.WaitingUnits == 0 || rep.Duplicates == 0 || rep.RestockSettled <= 0 {
		t.Errorf("got orders %d, %d units waiting, %d duplicates, restock settled %s, mismatches %v; want 100 orders, "+
			"some waiting, some repeated, the restock settled, none", rep.Orders, rep.WaitingUnits, rep.Duplicates,
			rep.RestockSettled, rep.Mismatches)
	}
}

func TestSimulatePurchaseOrderReceiptsAgainstTheEmbeddedDefaultMatchTheOracle(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an instance and waits for a sale, its purchase orders and receipts to settle")
	}
	for _, platform := range []string{"shopify", "woocommerce"} {
		t.Run(platform, func(t *testing.T) {
			t.Chdir(t.TempDir())
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			var stdout, stderr syncBuffer
			env := map[string]string{"SETTLE_QUIET": "3s"} // as above: a loaded machine
			err := run(ctx, []string{"simulate", "--platform", platform, "--orders", "60", "--items", "6", "--connections", "4",
				"--duplicates", "0.2", "--out-of-order", "0.1", "--cancel", "0.05", "--edit", "0.05", "--po-receipts", "--restock",
				"--json", "--timeout", "1m"}, func(k string) string { return env[k] }, &stdout, &stderr)
			if err != nil {
				t.Fatalf("simulate: %v\n%s\n%.20000s", err, stdout.String(), stderr.String())
			}
			var rep simulate.Report
			if err := json.Unmarshal([]byte(stdout.String()), &rep); err != nil {
				t.Fatalf("the --json report does not decode: %v\n%s", err, stdout.String())
			}
			if !rep.OK() || rep.PurchaseOrders < 1 || rep.ReceivedUnits == 0 || rep.ETAConfirmed <= 0 ||
				rep.ReceiptsSettled <= 0 || rep.ReceiptLevelsSettled <= 0 || rep.RestockSettled <= 0 {
				t.Errorf("got %d purchase orders, %d units received, ETAs confirmed %s, receipts settled %s, their levels %s, "+
					"restock %s, mismatches %v; want orders made, units received, every step settled, none",
					rep.PurchaseOrders, rep.ReceivedUnits, rep.ETAConfirmed, rep.ReceiptsSettled, rep.ReceiptLevelsSettled,
					rep.RestockSettled, rep.Mismatches)
			}
		})
	}
}

func TestPOReceiptsAreInTheEmbeddedDemoAndAgainstAnInstanceOnlyWhenAsked(t *testing.T) {
	env := map[string]string{"SHOPIFY_SHOP_DOMAIN": "a.myshopify.com", "SHOPIFY_WEBHOOK_SECRET": "s", "ADMIN_TOKEN": "t"}
	tests := []struct {
		args []string
		want bool
	}{
		{nil, true},
		{[]string{"--po-receipts=false"}, false},
		{[]string{"--url", "http://127.0.0.1:1"}, false},
		{[]string{"--url", "http://127.0.0.1:1", "--po-receipts"}, true},
	}
	for _, tt := range tests {
		f, err := parseSimulate(tt.args, func(k string) string { return env[k] })
		if err != nil || f.opts.POReceipts != tt.want {
			t.Errorf("%q: got PO receipts %v (%v), want %v", tt.args, f.opts.POReceipts, err, tt.want)
		}
	}
}

func TestSimulateRefusesABadFlagNamingIt(t *testing.T) {
	tests := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--short", "1.5"}, nil, "--short"},
		{[]string{"--platform", "magento"}, nil, "--platform"},
		{[]string{"--orders", "many"}, nil, "-orders"},
		{[]string{"--connections", "0"}, nil, "--connections"},
		{[]string{"--platform", "woocommerce", "--refund", "0.1"}, nil, "--refund"},
		{[]string{"--url", "http://127.0.0.1:1"}, map[string]string{"SHOPIFY_SHOP_DOMAIN": "a.myshopify.com",
			"SHOPIFY_WEBHOOK_SECRET": "s"}, "--admin-token"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out syncBuffer
			err := run(context.Background(), append([]string{"simulate"}, tt.args...),
				func(k string) string { return tt.env[k] }, &out, &out)
			var ue usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want a usage error (exit 2) naming %s", err, tt.want)
			}
		})
	}
}
