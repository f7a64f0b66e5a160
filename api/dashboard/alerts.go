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
}

// alerts lists the alerts, the critical ones first.
func alerts(f alertFacts) []alert {
	var crit, warn []alert
	if f.account.Messages > 0 {
		crit = append(crit, alert{"critical", "SendGrid refuses the account",
			fmt.Sprintf("%d messages wait until the SendGrid account is fixed (credits, API key or sender): %s",
				f.account.Messages, f.account.Reason)})
	}
	if f.silent != nil {
		crit = append(crit, alert{"critical", "The store's order webhooks fell silent",
			fmt.Sprintf("No %s webhook since %s; polling still finds orders. Run `backorderd shop connect` to register the webhooks again.",
				f.silent.topic, timeIn(f.silent.since, f.loc))})
	}
	for _, po := range f.pos {
		if po.MissedAt != nil {
			crit = append(crit, alert{"critical", fmt.Sprintf("Purchase order %d from %s is overdue", po.ID, po.Supplier),
				fmt.Sprintf("Expected %s; %d units still due.", dateOf(po.MissedAt), po.UnitsDue)})
		}
	}
	for _, it := range f.items {
		if it.AtCap {
			warn = append(warn, alert{"warning", fmt.Sprintf("%s reached its cap", itemName(it)),
				fmt.Sprintf("%d units wait; %d of them ordered past the cap.", it.Waiting, it.OverCap)})
		}
		if it.Shortfall > 0 {
			warn = append(warn, alert{"warning", fmt.Sprintf("Shortfall on %s", itemName(it)),
				fmt.Sprintf("The store reports %d more units sold than backorderd knows orders for.", it.Shortfall)})
		}
	}
	if n := f.mail[store.EmailHeld]; n > 0 {
		warn = append(warn, alert{"warning", fmt.Sprintf("%d emails held", n),
			"The shop has no from address: set EMAIL_FROM or `backorderd shop set --from`; held mail goes then."})
	}
	if n := f.mail[store.EmailFailed]; n > 0 {
		warn = append(warn, alert{"warning", fmt.Sprintf("%d emails failed", n),
			"SendGrid refused them for good, or they had no recipient; see Recent emails."})
	}
	return append(crit, warn...)
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
