package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/backorderd/backorderd/store"
)

func TestRedisDownDeliveryIsAcceptedAndProcessedWhenItReturns(t *testing.T) {
	t.Chdir(t.TempDir())
	rd := startRedisServer(t, freeAddr(t))
	p := start(t, []string{"run"}, map[string]string{
		"REDIS_URL": "redis://" + rd.addr + "/0", "RELAY_INTERVAL": "1s", "RELAY_AFTER": "0s",
		"SHOPIFY_SHOP_DOMAIN": shopDomain, "SHOPIFY_WEBHOOK_SECRET": shopifySecret,
	})
	p.waitReady(t)
	rd.stop()
	if code := deliver(t, p.addr, "while-redis-down"); code != http.StatusOK {
		t.Fatalf("delivery with Redis down answered %d, want 200 (the relay enqueues it later)", code)
	}
	waitInbox(t, "sqlite", "backorderd.db", 1, store.InboxAccepted)
	rd.start()
	waitInbox(t, "sqlite", "backorderd.db", 1, store.InboxProcessed)
}

func TestDatabaseDownDeliveryGoesThroughRedisAndBothDownIs503(t *testing.T) {
	pg := startPostgres(t)
	rd := startRedisServer(t, freeAddr(t))
	p := start(t, []string{"run"}, map[string]string{
		"DATABASE_URL": pg.url(), "REDIS_URL": "redis://" + rd.addr + "/0",
		"SHOPIFY_SHOP_DOMAIN": shopDomain, "SHOPIFY_WEBHOOK_SECRET": shopifySecret,
	})
	p.waitReady(t)
	pg.stop()
	if code := deliver(t, p.addr, "while-db-down"); code != http.StatusOK {
		t.Fatalf("delivery with the database down answered %d, want 200 (durable in Redis)", code)
	}
	if !strings.Contains(p.stderr.String(), `"outcome":"spooled"`) {
		t.Fatalf("the delivery was not spooled to Redis:\n%s", p.stderr)
	}
	pg.start()
	waitInbox(t, "postgres", pg.url(), 1, store.InboxProcessed)

	pg.stop()
	rd.stop()
	if code := deliver(t, p.addr, "while-both-down"); code != http.StatusServiceUnavailable {
		t.Fatalf("delivery with both down answered %d, want 503", code)
	}
}
