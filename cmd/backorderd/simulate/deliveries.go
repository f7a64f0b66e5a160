package simulate

import (
	"fmt"
	"time"
)

// delivery is one webhook the store sends: its body, the headers that do
// not depend on the target (the shop and the signature are added when it
// is sent), and what it tells the oracle.
type delivery struct {
	phase   int
	topic   string
	body    []byte
	eventID string    // Shopify's event and webhook id, WooCommerce's delivery id: a duplicate repeats it
	at      time.Time // when the store triggered it (Shopify's X-Shopify-Triggered-At)
	order   *orderFact
	level   *levelFact
	// after is the index of the delivery that must be answered before this
	// one is sent (-1: none): a level is reported once the order that moved
	// it is recorded, as a store that sends in order would have it.
	after   int
	tail    bool // WooCommerce's last level of an item in a phase, sent after the rest
	dropped bool
}

// orderFact is an order's state as one delivery carries it.
type orderFact struct {
	id     string
	placed time.Time
	open   bool
	lines  []line
	ver    version
}

// levelFact is an item's level as one delivery reports it. at is the
// report's time: lines placed after it are not reflected in it.
type levelFact struct {
	item      int
	available int
	at        time.Time
	ver       version
	// reported is when the store made the report: receipts before it are
	// in the level (WooCommerce's at stands for "every order"; this is
	// its real time).
	reported time.Time
}

// version orders the states of one resource: the newest wins, whatever
// the order of arrival.
type version struct {
	at  time.Time
	seq int64
}

// newer reports whether v is a later state than w.
func (v version) newer(w version) bool {
	if !v.at.Equal(w.at) {
		return v.at.After(w.at)
	}
	return v.seq > w.seq
}

// emit appends a delivery of the current phase and returns its index.
func (s *shop) emit(d delivery) int {
	s.serial++
	d.phase = s.phase
	d.eventID = s.uuid()
	if d.at.IsZero() {
		d.at = s.clock
	}
	// Trigger times: the store's second, plus a serial within it; a time
	// taken from the clock (a report right after a receipt) is its own.
	if d.at.Equal(d.at.Truncate(time.Second)) {
		d.at = d.at.Add(time.Duration(s.serial%1_000_000) * time.Microsecond)
	}
	s.out = append(s.out, d)
	return len(s.out) - 1
}

// uuid is a version-4 shaped id from the scenario's random source.
func (s *shop) uuid() string {
	a, b := s.rng.Uint64(), s.rng.Uint64()
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xfff, 0x8000|(b>>48)&0x3fff, b&0xffffffffffff)
}

// emitProduct describes item i.
func (s *shop) emitProduct(i int, at time.Time) {
	topic, body := s.productBody(i, at)
	s.emit(delivery{topic: topic, body: body, at: at, after: -1})
}

// emitLevel reports item i's level now, once delivery after is answered.
func (s *shop) emitLevel(i int, at time.Time, after int) {
	topic, body := s.levelBody(i, at)
	f := &levelFact{item: i, available: s.level[i], at: at, reported: at}
	if s.o.Platform == WooCommerce {
		// WooCommerce's report is as of its arrival: every order placed
		// before it is reflected.
		f.at = farFuture
	}
	idx := s.emit(delivery{topic: topic, body: body, at: at, level: f, after: after})
	f.ver = version{at: at, seq: int64(idx)}
	s.lastSent[i] = idx
}

// farFuture stands for "after every order of the scenario".
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// emitOrder sends order k's state after event ("create", "updated",
// "cancelled") and returns the delivery's index.
func (s *shop) emitOrder(k int, event string, at time.Time) int {
	o := s.orders[k]
	topic, body := s.orderBody(k, event, at)
	f := &orderFact{id: o.id, placed: o.placed, open: !o.cancelled, lines: append([]line(nil), o.lines...)}
	idx := s.emit(delivery{topic: topic, body: body, at: at, order: f, after: -1})
	f.ver = version{at: at, seq: int64(idx)}
	return idx
}

// emitRefund sends Shopify's refund of units of line j of order k.
func (s *shop) emitRefund(k, j, units int, at time.Time) {
	topic, body := shopifyRefund(s, k, j, units, at)
	s.emit(delivery{topic: topic, body: body, at: at, after: -1})
}

// emitEdit sends Shopify's order edit of line j of order k; WooCommerce
// has no such topic (its order.updated follows in both stores).
func (s *shop) emitEdit(k, j, delta int, at time.Time) {
	if s.o.Platform != Shopify {
		return
	}
	topic, body := shopifyEdit(s, k, j, delta, at)
	s.emit(delivery{topic: topic, body: body, at: at, after: -1})
}

// productBody, levelBody and orderBody pick the platform's payload.
func (s *shop) productBody(i int, at time.Time) (string, []byte) {
	if s.o.Platform == WooCommerce {
		return wooProduct(s, i, at)
	}
	return shopifyProduct(s, i, at)
}

func (s *shop) levelBody(i int, at time.Time) (string, []byte) {
	if s.o.Platform == WooCommerce {
		return wooProduct(s, i, at)
	}
	return shopifyLevel(s, i, at)
}

func (s *shop) orderBody(k int, event string, at time.Time) (string, []byte) {
	if s.o.Platform == WooCommerce {
		return wooOrder(s, k, event, at)
	}
	return shopifyOrder(s, k, event, at)
}
