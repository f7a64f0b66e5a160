package dashboard

import (
	"context"
	"fmt"
	"time"

	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
)

// alert is something the merchant should act on, from what backorderd
// already recorded: no alert is computed from a guess.
type alert struct {
	Level  string // "critical" or "warning"
	Title  string
	Detail string
	Fix    string // a command that fixes it, when there is one
}

// alertFacts is what the alerts are read from.
type alertFacts struct {
	shop    store.Shop
	items   []store.ItemQueue
	pos     []store.OpenPO
	mail    map[string]int
	account store.AccountWait
	silent  *silence
	loc     *time.Location
	// newest is the shop's newest email (nil: none yet).
	newest *store.Email
}

// alerts lists the alerts, the critical ones first.
func alerts(f alertFacts) []alert {
	var crit, warn []alert
	if f.account.Messages > 0 {
		crit = append(crit, alert{Level: "critical", Title: "SendGrid refuses the account",
			Detail: fmt.Sprintf("%s until the SendGrid account is fixed (credits, API key or sender): %s",
				plural(f.account.Messages, "message waits", "messages wait"), f.account.Reason)})
	}
	if f.silent != nil {
		crit = append(crit, alert{Level: "critical", Title: "The store's order webhooks fell silent",
			Detail: fmt.Sprintf("No %s webhook since %s; polling still finds orders. Register the webhooks again:",
				f.silent.topic, timeIn(f.silent.since, f.loc)),
			Fix: fmt.Sprintf("backorderd shop connect %s", f.shop.Domain)})
	}
	for _, po := range f.pos {
		if po.MissedAt != nil {
			crit = append(crit, alert{Level: "critical", Title: fmt.Sprintf("Purchase order %d from %s is overdue", po.ID, po.Supplier),
				Detail: fmt.Sprintf("Expected %s; %s still due.", dateOf(po.MissedAt), plural(po.UnitsDue, "unit", "units"))})
		}
	}
	for _, it := range f.items {
		if it.AtCap {
			warn = append(warn, alert{Level: "warning", Title: fmt.Sprintf("%s reached its cap", itemName(it)),
				Detail: fmt.Sprintf("%s; %d of them ordered past the cap.", plural(it.Waiting, "unit waits", "units wait"), it.OverCap)})
		}
		if it.Shortfall > 0 {
			warn = append(warn, alert{Level: "warning", Title: fmt.Sprintf("Shortfall on %s", itemName(it)),
				Detail: fmt.Sprintf("The store reports %s sold beyond the orders backorderd knows of.",
					plural(it.Shortfall, "unit", "units"))})
		}
	}
	if n := f.mail[store.EmailHeld]; n > 0 {
		warn = append(warn, alert{Level: "warning", Title: plural(n, "email held", "emails held"),
			Detail: "The shop has no from address; held mail goes once it has one (or set EMAIL_FROM):",
			Fix:    fmt.Sprintf("backorderd shop set %s --from ADDRESS", f.shop.Domain)})
	}
	if f.newest != nil && f.newest.Status == store.EmailNotSent {
		warn = append(warn, alert{Level: "warning", Title: "Emails are not being sent",
			Detail: fmt.Sprintf("The newest, written %s, was kept but not sent (%s): customers hear nothing from backorderd until it can send.",
				timeIn(f.newest.CreatedAt, f.loc), f.newest.Reason)})
	}
	if n := f.mail[store.EmailFailed]; n > 0 {
		warn = append(warn, alert{Level: "warning", Title: plural(n, "email failed", "emails failed"),
			Detail: "SendGrid refused them for good, or they had no recipient; see Recent emails."})
	}
	return append(crit, warn...)
}

// plural is n with the word for one or for many.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func itemName(it store.ItemQueue) string {
	if it.SKU != "" {
		return it.SKU
	}
	return "item " + it.ItemID
}

// silence is a webhook topic the store stopped sending.
type silence struct {
	topic string
	since time.Time
}

// webhooksSilent reads whether the shop's order webhooks fell silent: the
// poller noted a silence after the last webhook it saw (it decides that,
// and tells the merchant), and no webhook of the topic came since.
func webhooksSilent(ctx context.Context, st Store, shop store.Shop) (*silence, error) {
	poll, err := st.StorePoll(ctx, shop.ID)
	if err != nil || poll.SilenceNoticed == nil {
		return nil, err
	}
	topic := jobs.OrderCreateTopic(shop.Platform)
	last, err := st.LastWebhook(ctx, shop.ID, topic, jobs.HeaderSource)
	if err != nil || last != nil && last.After(*poll.SilenceNoticed) {
		return nil, err
	}
	return &silence{topic: topic, since: *poll.SilenceNoticed}, nil
}
