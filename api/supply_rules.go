package api

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"strings"

	"github.com/backorderd/backorderd/store"
)

// The rules below are the one set the admin API and `backorderd import`
// share: a field named in a *FieldError is a JSON field of the API and a
// column of the CSV files alike.

// A new supplier's lead time and currency when none are given.
const (
	DefaultLeadTimeDays = 14
	DefaultCurrency     = "USD"
)

var (
	moneyPattern    = regexp.MustCompile(`^\d{1,12}(\.\d{1,4})?$`)
	currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)
)

// minSecretLen is the shortest signing secret accepted from a merchant.
const minSecretLen = 16

// CheckSupplier checks a supplier as it is to be stored; its error is a
// *FieldError. An http supplier may have no secret yet: the caller
// generates one (NewSupplierSecret).
func CheckSupplier(sp store.Supplier) error {
	switch {
	case strings.TrimSpace(sp.Name) == "" || sp.Name != strings.TrimSpace(sp.Name):
		return &FieldError{"name", "must be given, without leading or trailing spaces"}
	case len(sp.Name) > 200:
		return &FieldError{"name", "must be at most 200 characters"}
	case sp.Channel != store.ChannelEmail && sp.Channel != store.ChannelHTTP:
		return &FieldError{"channel", fmt.Sprintf("is %q, must be %q or %q", sp.Channel, store.ChannelEmail, store.ChannelHTTP)}
	case sp.Channel == store.ChannelEmail && sp.Email == "":
		return &FieldError{"email", "must be given for the email channel: purchase orders go there"}
	case sp.Email != "" && !plainAddress(sp.Email):
		return &FieldError{"email", fmt.Sprintf("%q is not an email address", sp.Email)}
	case sp.Channel == store.ChannelHTTP && sp.URL == "":
		return &FieldError{"url", "must be given for the http channel: purchase orders are POSTed there"}
	case sp.URL != "" && !webURL(sp.URL):
		return &FieldError{"url", fmt.Sprintf("%q is not an http:// or https:// URL", sp.URL)}
	case sp.Secret != "" && len(sp.Secret) < minSecretLen:
		return &FieldError{"secret", fmt.Sprintf("must be at least %d characters (leave it out to have one generated)", minSecretLen)}
	case sp.LeadTimeDays < 0 || sp.LeadTimeDays > 3650:
		return &FieldError{"lead_time_days", "must be a whole number of days from 0 to 3650"}
	case sp.Currency != "" && !currencyPattern.MatchString(sp.Currency):
		return &FieldError{"currency", fmt.Sprintf("is %q, must be three upper-case letters (USD, EUR)", sp.Currency)}
	}
	return nil
}

// CheckTerms checks an item's terms from a supplier as they are to be
// stored; its error is a *FieldError.
func CheckTerms(is store.ItemSupplier) error {
	switch {
	case is.ItemID == "":
		return &FieldError{"item_id", "must be given"}
	case len(is.SupplierSKU) > 200:
		return &FieldError{"supplier_sku", "must be at most 200 characters"}
	case !moneyPattern.MatchString(is.UnitCost):
		return &FieldError{"unit_cost", fmt.Sprintf("is %q, must be a decimal such as \"12.50\" (up to 4 decimals)", is.UnitCost)}
	case is.MOQ < 0:
		return &FieldError{"moq", "must be 0 or more"}
	case is.PackSize < 1:
		return &FieldError{"pack_size", "must be 1 or more"}
	case is.LeadTimeDays != nil && (*is.LeadTimeDays < 0 || *is.LeadTimeDays > 3650):
		return &FieldError{"lead_time_days", "must be a whole number of days from 0 to 3650, or left out for the supplier's"}
	case is.SafetyStock < 0:
		return &FieldError{"safety_stock", "must be 0 or more"}
	}
	return nil
}

// NewSupplierSecret returns a signing secret for an http supplier: 32
// random bytes, hex.
func NewSupplierSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate supplier secret: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// plainAddress reports whether s is a bare address (no display name).
func plainAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}

func webURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
