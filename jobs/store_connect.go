package jobs

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/email"
	"github.com/backorderd/backorderd/integrations/storeapi"
	"github.com/backorderd/backorderd/store"
)

// TypeStoreConnect registers a shop's webhooks in its store (at an OAuth
// install, or by hand).
const TypeStoreConnect = "store:connect"

// StoreConnectArgs name the shop to connect.
type StoreConnectArgs struct {
	ShopID  int64    `json:"shop_id"`
	Subject *Subject `json:"subject,omitempty"` // for people: handlers ignore it
}

func (a StoreConnectArgs) subject() *Subject { return a.Subject }

// ConnectStore is the part of the store connecting uses.
type ConnectStore interface {
	TxStore
	Shop(ctx context.Context, id int64) (store.Shop, error)
	ModifyShop(ctx context.Context, id int64, change func(*store.Shop) error) (store.Shop, error)
}

// ConnectShop registers every webhook topic backorderd handles in the
// shop's store, pointing at publicURL (PUBLIC_URL): subscriptions already
// right are reused, wrong ones replaced, ones the store disabled enabled
// again. A WooCommerce webhook is signed with the shop's webhook secret,
// made (32 random bytes, base64url) and saved first if the shop has none.
// When webhooks were enabled again the merchant is told which, once per
// run that did so.
func ConnectShop(ctx context.Context, st ConnectStore, clients StoreClients, d *Dispatcher, shop store.Shop, publicURL string) (storeapi.ConnectReport, error) {
	if shop.Status != store.ShopActive {
		return storeapi.ConnectReport{}, fmt.Errorf("connect shop %d: it is %s", shop.ID, shop.Status)
	}
	if publicURL == "" {
		return storeapi.ConnectReport{}, fmt.Errorf("connect shop %d: PUBLIC_URL is not set: the store would not know where to send webhooks", shop.ID)
	}
	client, err := clients.Client(ctx, shop)
	if err != nil {
		return storeapi.ConnectReport{}, fmt.Errorf("connect shop %d: %w", shop.ID, err)
	}
	callback := strings.TrimRight(publicURL, "/") + "/webhooks/" + string(shop.Platform)
	secret := ""
	if shop.Platform == store.WooCommerce {
		if shop.WebhookSecret == "" {
			// Made under the shop's row lock: two connects at once make
			// one secret, and no other change to the shop is written over.
			id := shop.ID
			if shop, err = st.ModifyShop(ctx, id, func(sh *store.Shop) (err error) {
				if sh.WebhookSecret == "" {
					sh.WebhookSecret, err = newWebhookSecret()
				}
				return err
			}); err != nil {
				return storeapi.ConnectReport{}, fmt.Errorf("save webhook secret of shop %d: %w", id, err)
			}
		}
		secret = shop.WebhookSecret
	}
	rep, err := client.Connect(ctx, callback, secret)
	if err != nil {
		return rep, fmt.Errorf("connect shop %d: %w", shop.ID, err)
	}
	// What backorderd already knows goes to the store too, not only what
	// changes from now on: orders that wait, items at their cap. A state
	// the store shows already is not written again.
	if err := d.InTx(ctx, st, func(tx *store.Tx, out *Outbox) error {
		known, err := tx.ShopKnownState(ctx, shop.ID)
		if err != nil {
			return err
		}
		out.touchOrders(shop.ID, known.WaitingOrders...)
		for _, itemID := range known.ItemsAtCap {
			if err := wantSelling(ctx, tx, out, shop, itemID, true); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return rep, fmt.Errorf("connect shop %d: queue what the store should show: %w", shop.ID, err)
	}
	if len(rep.Reenabled) > 0 && shop.MerchantEmail != "" {
		if err := tellReenabled(ctx, st, d, shop, rep.Reenabled, time.Now()); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// newWebhookSecret is a fresh WooCommerce webhook secret.
func newWebhookSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("make webhook secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// tellReenabled writes the merchant's message listing the webhooks a
// connect run enabled again; the key names the run (its time) and the
// webhooks, so a retried task writes it once.
func tellReenabled(ctx context.Context, st TxStore, d *Dispatcher, shop store.Shop, subs []storeapi.Subscription, now time.Time) error {
	topics := make([]string, len(subs))
	ids := make([]string, len(subs))
	for i, s := range subs {
		topics[i], ids[i] = s.Topic, s.ID
	}
	key := "webhooks-reenabled:" + now.UTC().Format(time.DateOnly) + ":" + strings.Join(ids, "+")
	return d.InTx(ctx, st, func(tx *store.Tx, out *Outbox) error {
		data := email.Merchant{Shop: emailShop(shop), Topics: topics}
		_, _, err := writeEmail(ctx, tx, out, shop, email.MerchantWebhooksReenabled, key,
			recipient{email: shop.MerchantEmail, name: shop.Name}, data)
		return err
	})
}

// QueueConnect adds the connect task of a shop to out (at an OAuth
// install, in the transaction that saved its credentials).
func QueueConnect(ctx context.Context, out *Outbox, shopID int64) error {
	_, err := out.Add(ctx, TypeStoreConnect, QueueStore, StoreConnectArgs{ShopID: shopID, Subject: about(shopID)}, time.Time{})
	return err
}

// ConnectHandler is the handler of TypeStoreConnect: ConnectShop as an
// outbox task. The store is called outside the task's transaction; the
// row is marked done after, so a retry connects again, which reuses what
// the first run made.
func (d *Dispatcher) ConnectHandler(st ConnectStore, clients StoreClients, publicURL string) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		id, err := decodeRow(t)
		if err != nil {
			return err
		}
		var row store.OutboxTask
		if err := st.InTx(ctx, func(tx *store.Tx) error {
			row, err = tx.ClaimOutbox(ctx, id)
			return err
		}); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("outbox row %d is gone: %w", id, asynq.SkipRetry)
			}
			return err
		}
		if row.Status == store.OutboxDone {
			return nil
		}
		var args StoreConnectArgs
		if err := json.Unmarshal(row.Payload, &args); err != nil || args.ShopID == 0 {
			return fmt.Errorf("decode connect args %q: %w", row.Payload, asynq.SkipRetry)
		}
		shop, err := st.Shop(ctx, args.ShopID)
		if err != nil {
			return err
		}
		_, err = ConnectShop(ctx, st, clients, d, shop, publicURL)
		switch {
		case err == nil, errors.Is(err, ErrNoStoreClient), shop.Status != store.ShopActive:
		case storeapi.IsPermanent(err):
			return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
		default:
			return err
		}
		return d.InTx(ctx, st, func(tx *store.Tx, _ *Outbox) error { return tx.FinishOutbox(ctx, id) })
	})
}
