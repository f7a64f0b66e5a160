package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/backorderd/backorderd/email"
)

// The settings of a shop that `backorderd shop add/set` and the admin API
// change, by the name the admin API shows them under. Shop.Set is the one
// place their rules live.
const (
	SettingName               = "name"
	SettingMerchantEmail      = "merchant_email"
	SettingFromEmail          = "from_email"
	SettingReplyTo            = "reply_to"
	SettingTimeZone           = "time_zone"
	SettingHandlingDays       = "handling_days"
	SettingUpdateCadenceDays  = "update_cadence_days"
	SettingBackorderPolicy    = "backorder_policy"
	SettingIncentive          = "incentive"
	SettingTemplateIDs        = "template_ids"
	SettingWaitingCap         = "waiting_cap"
	SettingReorder            = "reorder"
	SettingPOApproval         = "po_approval"
	SettingMaxWaitDays        = "max_wait_days"
	SettingStoreWrites        = "store_writes"
	SettingCustomerNote       = "customer_note"
	SettingCancelAfterMaxWait = "cancel_after_max_wait"
)

// ShopSettings lists every setting Shop.Set takes, in the order they are
// shown.
var ShopSettings = []string{SettingName, SettingMerchantEmail, SettingFromEmail, SettingReplyTo, SettingTimeZone,
	SettingHandlingDays, SettingUpdateCadenceDays, SettingBackorderPolicy, SettingIncentive, SettingTemplateIDs,
	SettingWaitingCap, SettingReorder, SettingPOApproval, SettingMaxWaitDays, SettingStoreWrites,
	SettingCustomerNote, SettingCancelAfterMaxWait}

// Set checks value against the rules of setting and sets it on the shop.
// Values are written as an operator types them on the command line:
// numbers in decimal, "none" for no limit, yes or no, a comma-separated
// list of store writes (or all, none), a JSON object of template ids. The
// error says why the value is refused, without the setting's name: the
// caller names it as its user knows it (a flag, a JSON field).
func (s *Shop) Set(setting, v string) error {
	v = strings.TrimSpace(v)
	switch setting {
	case SettingName:
		s.Name = v
	case SettingMerchantEmail, SettingFromEmail, SettingReplyTo:
		if v != "" {
			if _, err := mail.ParseAddress(v); err != nil {
				return fmt.Errorf("%q is not an email address", v)
			}
		}
		switch setting {
		case SettingMerchantEmail:
			s.MerchantEmail = v
		case SettingFromEmail:
			s.FromEmail = v
		default:
			s.ReplyTo = v
		}
	case SettingTimeZone:
		if _, err := time.LoadLocation(v); err != nil || v == "" {
			return fmt.Errorf("%q is not an IANA time zone (for example America/Toronto)", v)
		}
		s.TimeZone = v
	case SettingHandlingDays, SettingUpdateCadenceDays:
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 365 {
			return fmt.Errorf("%q is not a number of days from 0 to 365", v)
		}
		if setting == SettingHandlingDays {
			s.HandlingDays = n
		} else {
			s.UpdateCadenceDays = n
		}
	case SettingBackorderPolicy:
		s.BackorderPolicy = v
	case SettingIncentive:
		s.Incentive = v
	case SettingWaitingCap:
		limit, err := ParseCap(v)
		if err != nil {
			return err
		}
		s.WaitingCap = limit
	case SettingReorder:
		if v != ReorderPeriodic && v != ReorderImmediate {
			return fmt.Errorf("%q is not periodic or immediate", v)
		}
		s.Reorder = v
	case SettingPOApproval:
		if v != POApprovalManual && v != POApprovalAuto {
			return fmt.Errorf("%q is not manual or auto", v)
		}
		s.POApproval = v
	case SettingMaxWaitDays:
		days, err := parseMaxWait(v)
		if err != nil {
			return err
		}
		s.MaxWaitDays = days
	case SettingStoreWrites:
		off, err := parseStoreWrites(v)
		if err != nil {
			return err
		}
		s.WritesOff = off
	case SettingCustomerNote, SettingCancelAfterMaxWait:
		on, err := ParseYesNo(v)
		if err != nil {
			return err
		}
		if setting == SettingCustomerNote {
			s.CustomerNote = on
		} else {
			s.CancelAfterMaxWait = on
		}
	case SettingTemplateIDs:
		var m map[string]string
		if err := json.Unmarshal([]byte(v), &m); err != nil {
			return errors.New(`want a JSON object from email kind to SendGrid template id, for example {"backordered":"d-123"}`)
		}
		// A kind misspelt would be kept and never used: its mail would go
		// out without the template the merchant chose.
		for _, kind := range slices.Sorted(maps.Keys(m)) {
			if !slices.Contains(email.Kinds, email.Kind(kind)) {
				return fmt.Errorf("%q is not an email kind (one of %s)", kind, strings.Join(email.KindNames(), ", "))
			}
		}
		b, _ := json.Marshal(m) // a map of strings always encodes
		s.TemplateIDs = string(b)
	default:
		return fmt.Errorf("not a shop setting (one of %s)", strings.Join(ShopSettings, ", "))
	}
	return nil
}

// OnWrites lists the writes the shop wants made in its store, in the
// order of StoreWrites.
func (s Shop) OnWrites() []string {
	on := []string{}
	for _, w := range StoreWrites {
		if s.Writes(w) {
			on = append(on, w)
		}
	}
	return on
}

// RotateSecret makes secret the one deliveries are signed with; the one it
// replaces is still accepted (WebhookSecretPrevious) while the store moves
// to the new one, until DropPreviousSecret. Setting the current secret
// again changes nothing; a second rotation forgets the oldest.
func (s *Shop) RotateSecret(secret string) {
	if secret != "" && secret != s.WebhookSecret {
		s.WebhookSecretPrevious, s.WebhookSecret = s.WebhookSecret, secret
	}
}

// DropPreviousSecret stops accepting deliveries signed with the secret the
// last rotation replaced.
func (s *Shop) DropPreviousSecret() {
	s.WebhookSecretPrevious = ""
}

// ParseCap reads a cap on waiting units: a whole number, or "none".
func ParseCap(v string) (*int, error) {
	if v == "none" {
		return nil, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("%q is not a number of units (0 or more) or none", v)
	}
	return &n, nil
}

// parseMaxWait reads a maximum wait: a number of days, or 0 or "none" for
// no limit.
func parseMaxWait(v string) (*int, error) {
	if v == "none" || v == "0" {
		return nil, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 3650 {
		return nil, fmt.Errorf("%q is not a number of days from 1 to 3650, or 0 or none for no limit", v)
	}
	return &n, nil
}

// parseStoreWrites reads the writes a shop wants ("all", "none" or a list
// such as "tag,eta") as the list of those turned off, which is what the
// shop keeps.
func parseStoreWrites(v string) (string, error) {
	on := map[string]bool{}
	switch v {
	case "all":
		return "", nil
	case "none":
	default:
		for name := range strings.SplitSeq(v, ",") {
			name = strings.TrimSpace(name)
			if !slices.Contains(StoreWrites, name) {
				return "", fmt.Errorf("%q is not all, none or a list of %s", name, strings.Join(StoreWrites, ","))
			}
			on[name] = true
		}
	}
	var off []string
	for _, name := range StoreWrites {
		if !on[name] {
			off = append(off, name)
		}
	}
	return strings.Join(off, ","), nil
}

// ParseYesNo reads a switch: yes, true or on; no, false or off.
func ParseYesNo(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "yes", "true", "on":
		return true, nil
	case "no", "false", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not yes or no", v)
}
