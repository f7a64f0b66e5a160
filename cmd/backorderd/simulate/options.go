package simulate

import (
	"errors"
	"fmt"
	"time"
)

// withDefaults fills what o leaves unset and checks the rest; errors name
// the option as the command's flag does.
func (o Options) withDefaults() (Options, error) {
	if o.Platform == "" {
		o.Platform = Shopify
	}
	if o.Platform != Shopify && o.Platform != WooCommerce {
		return o, fmt.Errorf("platform %q: want %s or %s", o.Platform, Shopify, WooCommerce)
	}
	if o.Orders < 1 {
		return o, errors.New("orders: want at least 1")
	}
	if o.Items < 1 {
		return o, errors.New("items: want at least 1")
	}
	for _, sh := range []struct {
		name  string
		value float64
	}{{"short", o.Short}, {"duplicates", o.Duplicates}, {"out-of-order", o.OutOfOrder}, {"drop", o.Drop},
		{"cancel", o.Cancel}, {"refund", o.Refund}, {"edit", o.Edit}} {
		if sh.value < 0 || sh.value > 1 {
			return o, fmt.Errorf("%s %g: want a share from 0 to 1", sh.name, sh.value)
		}
	}
	if o.Cancel+o.Refund+o.Edit > 1 {
		return o, errors.New("cancel + refund + edit: want at most 1 in all (an order changes once)")
	}
	if o.Platform == WooCommerce && o.Refund > 0 {
		// backorderd reads a WooCommerce order's line quantities, which a
		// refund leaves as they were: there is nothing to model.
		return o, errors.New("refund: WooCommerce refunds do not change an order's lines; use edit")
	}
	if o.RunID == "" {
		o.RunID = time.Now().UTC().Format("20060102T150405.000000000")
	}
	if o.Start.IsZero() {
		// Each order has its second, each change its own, and a few for
		// setup and restock; WooCommerce reports stock as of arrival, so
		// every order must be placed before the sending starts.
		span := time.Duration(o.Orders*2+16) * time.Second
		o.Start = time.Now().UTC().Truncate(time.Second).Add(-span)
	}
	return o, nil
}
