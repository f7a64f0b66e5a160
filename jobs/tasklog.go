package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"
)

// TaskLog is the worker's middleware that logs one line per task run: its
// type, id, queue, duration, outcome, and what it is about (the ids its
// payload carries and its subject: shop domain, item, SKU, orders, email
// kind, purchase order) — never anything else of the payload (a spooled
// delivery carries a whole body). A task done logs at info ("task done"),
// a failure at error ("task failed", archived when asynq retries it no
// more), a task that only waits its turn (a row's other writer, a batch
// that holds its delivery, a refused SendGrid account, which the mailer
// logs once per change) at debug ("task deferred").
func TaskLog(log *slog.Logger) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) (err error) {
			start := time.Now()
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("panic: %v", p)
					logTask(ctx, log, t, start, err)
					panic(p)
				}
				logTask(ctx, log, t, start, err)
			}()
			return next.ProcessTask(ctx, t)
		})
	}
}

func logTask(ctx context.Context, log *slog.Logger, t *asynq.Task, start time.Time, err error) {
	level, msg := slog.LevelInfo, "task done"
	switch {
	case err != nil && !isFailure(err):
		level, msg = slog.LevelDebug, "task deferred"
	case err != nil:
		level, msg = slog.LevelError, "task failed"
	}
	if !log.Enabled(ctx, level) {
		return
	}
	id, _ := asynq.GetTaskID(ctx)
	queue, _ := asynq.GetQueueName(ctx)
	attrs := make([]slog.Attr, 0, 16)
	attrs = append(attrs, slog.String("type", t.Type()), slog.String("task_id", id), slog.String("queue", queue),
		slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000))
	attrs = appendTaskFacts(attrs, t.Payload())
	if err != nil {
		retried, _ := asynq.GetRetryCount(ctx)
		maxRetry, _ := asynq.GetMaxRetry(ctx)
		attrs = append(attrs, slog.Int("retried", retried), slog.Int("max_retry", maxRetry),
			slog.Bool("archived", retried >= maxRetry || errors.Is(err, asynq.SkipRetry)), slog.String("err", err.Error()))
	}
	log.LogAttrs(ctx, level, msg, attrs...)
}

// loggedPayload is what of a payload a task's log line carries: ids and
// the subject, by name, so that nothing else ever reaches the log.
type loggedPayload struct {
	ID, ShopID, EmailID, POID, InboxID, Period int64
	ItemID, Topic, Shop, Kind, Of              string
	Subject                                    Subject
}

// appendTaskFacts appends a payload's ids and subject to attrs as log
// attributes; a payload that is no JSON object of the shape the tasks
// write gives none.
func appendTaskFacts(attrs []slog.Attr, payload []byte) []slog.Attr {
	var p loggedPayload
	if !p.read(payload) {
		return attrs
	}
	s := &p.Subject
	add := func(a slog.Attr, set bool) {
		if set {
			attrs = append(attrs, a)
		}
	}
	add(slog.Int64("row_id", p.ID), p.ID != 0)
	add(slog.Int64("shop_id", p.ShopID), p.ShopID != 0)
	add(slog.String("shop", s.Shop+p.Shop), s.Shop != "" || p.Shop != "")
	add(slog.String("topic", s.Topic+p.Topic), s.Topic != "" || p.Topic != "")
	add(slog.String("item_id", s.Item+p.ItemID), s.Item != "" || p.ItemID != "")
	add(slog.String("sku", s.SKU), s.SKU != "")
	add(slog.Any("order_ids", s.Orders), len(s.Orders) > 0)
	add(slog.Int("order_count", s.OrderCount), s.OrderCount > 0)
	add(slog.String("email_kind", s.Email), s.Email != "")
	add(slog.Int64("email_id", p.EmailID), p.EmailID != 0)
	add(slog.Int64("po_id", p.POID+s.PO), p.POID != 0 || s.PO != 0)
	add(slog.Int64("inbox_id", p.InboxID), p.InboxID != 0)
	add(slog.String("write_kind", p.Kind), p.Kind != "")
	add(slog.String("write_of", p.Of), p.Of != "")
	add(slog.String("period", time.Unix(p.Period, 0).UTC().Format(time.RFC3339)), p.Period != 0)
	return attrs
}

// read fills p from a task's payload, reading only the keys it names and
// skipping every other value without decoding it: a spooled delivery's
// payload carries a whole body, which encoding/json scanned twice to log
// two ids (50–90 µs for a 9 KB order, where the rest of the line costs
// 4 µs). It reports whether the payload is a JSON object whose named keys
// have the types the tasks write; a payload that is not gives no facts.
func (p *loggedPayload) read(b []byte) bool {
	sc := jsonScan{b: b}
	return sc.object(func(key []byte) bool {
		switch string(key) {
		case "id":
			return sc.int(&p.ID)
		case "shop_id":
			return sc.int(&p.ShopID)
		case "email_id":
			return sc.int(&p.EmailID)
		case "po_id":
			return sc.int(&p.POID)
		case "inbox_id":
			return sc.int(&p.InboxID)
		case "period":
			return sc.int(&p.Period)
		case "item_id":
			return sc.str(&p.ItemID)
		case "topic":
			return sc.str(&p.Topic)
		case "shop":
			return sc.str(&p.Shop)
		case "kind":
			return sc.str(&p.Kind)
		case "of":
			return sc.str(&p.Of)
		case "subject":
			return sc.null() || sc.object(func(key []byte) bool { return p.Subject.read(&sc, key) })
		}
		return sc.skip()
	}) && sc.end()
}

// read reads the subject's key at sc.
func (s *Subject) read(sc *jsonScan, key []byte) bool {
	switch string(key) {
	case "shop":
		return sc.str(&s.Shop)
	case "topic":
		return sc.str(&s.Topic)
	case "item":
		return sc.str(&s.Item)
	case "sku":
		return sc.str(&s.SKU)
	case "email":
		return sc.str(&s.Email)
	case "order_count":
		var n int64
		ok := sc.int(&n)
		s.OrderCount = int(n)
		return ok
	case "po":
		return sc.int(&s.PO)
	case "orders":
		s.Orders = s.Orders[:0]
		return sc.null() || sc.array(func() bool {
			var o string
			ok := sc.str(&o)
			s.Orders = append(s.Orders, o)
			return ok
		})
	}
	return sc.skip()
}

// jsonScan reads JSON at b[i:] just far enough for the log: strings,
// whole numbers, objects and arrays, and skips any other value by finding
// where it ends. It validates what it reads, not what it skips.
type jsonScan struct {
	b []byte
	i int
}

func (sc *jsonScan) space() {
	for sc.i < len(sc.b) && (sc.b[sc.i] == ' ' || sc.b[sc.i] == '\t' || sc.b[sc.i] == '\n' || sc.b[sc.i] == '\r') {
		sc.i++
	}
}

// next skips space and consumes c if it comes next.
func (sc *jsonScan) next(c byte) bool {
	sc.space()
	if sc.i < len(sc.b) && sc.b[sc.i] == c {
		sc.i++
		return true
	}
	return false
}

// end says whether nothing but space is left.
func (sc *jsonScan) end() bool { sc.space(); return sc.i == len(sc.b) }

// object reads an object, calling member for each key with sc at its value.
func (sc *jsonScan) object(member func(key []byte) bool) bool {
	if !sc.next('{') {
		return false
	}
	if sc.next('}') {
		return true
	}
	for {
		key, ok := sc.key()
		if !ok || !sc.next(':') || !member(key) {
			return false
		}
		if sc.next('}') {
			return true
		}
		if !sc.next(',') {
			return false
		}
	}
}

// array reads an array, calling elem with sc at each element.
func (sc *jsonScan) array(elem func() bool) bool {
	if !sc.next('[') {
		return false
	}
	if sc.next(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if sc.next(']') {
			return true
		}
		if !sc.next(',') {
			return false
		}
	}
}

// null consumes a null.
func (sc *jsonScan) null() bool {
	sc.space()
	if bytes.HasPrefix(sc.b[sc.i:], []byte("null")) {
		sc.i += 4
		return true
	}
	return false
}

// str reads a string; one with escapes is decoded by encoding/json.
func (sc *jsonScan) str(v *string) bool {
	raw, ok := sc.rawString()
	if !ok {
		return false
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		*v = string(raw[1 : len(raw)-1])
		return true
	}
	return json.Unmarshal(raw, v) == nil
}

// key reads an object's key, without copying it unless it has escapes.
func (sc *jsonScan) key() ([]byte, bool) {
	raw, ok := sc.rawString()
	if !ok {
		return nil, false
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1], true
	}
	var k string
	return []byte(k), json.Unmarshal(raw, &k) == nil
}

// rawString returns the string at sc, quotes included. Its end is found
// with bytes.IndexByte, so a long string (a spooled body) costs little.
func (sc *jsonScan) rawString() ([]byte, bool) {
	sc.space()
	if sc.i >= len(sc.b) || sc.b[sc.i] != '"' {
		return nil, false
	}
	start := sc.i
	for j := start + 1; ; j++ {
		k := bytes.IndexByte(sc.b[j:], '"')
		if k < 0 {
			return nil, false
		}
		j += k
		escapes := 0 // a quote after an odd number of backslashes is escaped
		for m := j - 1; m > start && sc.b[m] == '\\'; m-- {
			escapes++
		}
		if escapes%2 == 0 {
			sc.i = j + 1
			return sc.b[start:sc.i], true
		}
	}
}

// int reads a whole number.
func (sc *jsonScan) int(v *int64) bool {
	sc.space()
	start := sc.i
	for sc.i < len(sc.b) && (sc.b[sc.i] == '-' || sc.b[sc.i] >= '0' && sc.b[sc.i] <= '9') {
		sc.i++
	}
	n, err := strconv.ParseInt(string(sc.b[start:sc.i]), 10, 64)
	*v = n
	return err == nil
}

// skip passes over any value: a string to its closing quote, an object or
// an array to its closing bracket (strings inside them included), anything
// else (a number, true, false, null) to the next delimiter.
func (sc *jsonScan) skip() bool {
	sc.space()
	if sc.i >= len(sc.b) {
		return false
	}
	switch sc.b[sc.i] {
	case '"':
		_, ok := sc.rawString()
		return ok
	case '{', '[':
		depth := 0
		for sc.i < len(sc.b) {
			switch sc.b[sc.i] {
			case '"':
				if _, ok := sc.rawString(); !ok {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			sc.i++
			if depth == 0 {
				return true
			}
		}
		return false
	}
	start := sc.i
	for sc.i < len(sc.b) && strings.IndexByte(",}] \t\n\r", sc.b[sc.i]) < 0 {
		sc.i++
	}
	return sc.i > start
}
