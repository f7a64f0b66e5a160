package woocommerce

import (
	"fmt"
	"strconv"
	"strings"
)

// amount is a sum of money as WooCommerce writes it, a decimal string
// ("177.80", "-10.00"), held exactly: units of 10^-scale. Money is never
// a float.
type amount struct {
	units int64
	scale int
}

// parseAmount reads a decimal string; "" is zero.
func parseAmount(s string) (amount, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return amount{}, nil
	}
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 9 || strings.ContainsAny(frac, "+-") {
		return amount{}, fmt.Errorf("parse amount %q: not a decimal", s)
	}
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return amount{}, fmt.Errorf("parse amount %q: %w", s, err)
	}
	return amount{units: n, scale: len(frac)}, nil
}

// rescale is a at scale (scale >= a.scale).
func (a amount) rescale(scale int) amount {
	for a.scale < scale {
		a.units *= 10
		a.scale++
	}
	return a
}

// add is a+b.
func (a amount) add(b amount) amount {
	scale := max(a.scale, b.scale)
	a, b = a.rescale(scale), b.rescale(scale)
	return amount{units: a.units + b.units, scale: scale}
}

// positive reports whether a is more than zero.
func (a amount) positive() bool { return a.units > 0 }

// String writes a with at least two decimals: "167.80".
func (a amount) String() string {
	a = a.rescale(2)
	sign := ""
	u := a.units
	if u < 0 {
		sign, u = "-", -u
	}
	digits := fmt.Sprintf("%0*d", a.scale+1, u)
	cut := len(digits) - a.scale
	return sign + digits[:cut] + "." + digits[cut:]
}
