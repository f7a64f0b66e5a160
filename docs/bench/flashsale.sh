#!/usr/bin/env bash
# End-to-end flash sale: 2 `serve` + 2 `work` on PostgreSQL and Redis, all on
# this machine, driven by `backorderd simulate`. Prints the simulator's
# report and each process's peak resident memory (VmHWM).
#
#   docs/bench/flashsale.sh [simulate flags…]     e.g. --orders 10000 --items 50 --short 0.3 --restock
#
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and redis-server
# on PATH; it creates the database `flashsale` and runs its own Redis on port
# 6390 (AOF off, like the receiver's measurements), and removes both at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."

PG=${PG:-postgres://postgres@127.0.0.1:5432}
DB=flashsale
REDIS_PORT=${REDIS_PORT:-6390}
OUT=${OUT:-$(mktemp -d /tmp/flashsale.XXXXXX)}
BIN=$OUT/backorderd
SETTLE_QUIET=${SETTLE_QUIET:-2s}
WORKER_CONCURRENCY=${WORKER_CONCURRENCY:-10}

go build -o "$BIN" ./cmd/backorderd

psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
  --dir "$OUT" --pidfile "$OUT/redis.pid" --logfile "$OUT/redis.log"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB" || true
}
trap cleanup EXIT

export DATABASE_URL="$PG/$DB?sslmode=disable"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export ADMIN_TOKEN=flashsale-admin-token-0123456789
export SHOPIFY_SHOP_DOMAIN=flash-sale.myshopify.com
export SHOPIFY_WEBHOOK_SECRET=flash-sale-secret
export LOG_FORMAT=json LOG_LEVEL=${LOG_LEVEL:-info}
export SETTLE_QUIET WORKER_CONCURRENCY

"$BIN" migrate > "$OUT/migrate.log" 2>&1
start() { # role port
  HTTP_ADDR=127.0.0.1:$2 "$BIN" "$1" > "$OUT/$1-$2.log" 2>&1 &
  pids+=($!)
  echo "$!" > "$OUT/$1-$2.pid"
}
start serve 18180; start serve 18181; start work 18190; start work 18191
for port in 18180 18181 18190 18191; do
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
done

set +e
"$BIN" simulate --url http://127.0.0.1:18180,http://127.0.0.1:18181 --connections 16 "$@" | tee "$OUT/report.txt"
rc=${PIPESTATUS[0]}
set -e

echo "peak resident memory (VmHWM):"
for f in "$OUT"/*.pid; do
  [ "$(basename "$f")" = redis.pid ] && continue
  echo "  $(basename "$f" .pid): $(grep VmHWM /proc/"$(cat "$f")"/status | awk '{print $2/1024 " MB"}')"
done
echo "  redis: $(redis-cli -p "$REDIS_PORT" info memory | grep used_memory_peak_human | tr -d '\r')"
echo "CPU time, user + system (s):"
for f in "$OUT"/*.pid; do
  [ "$(basename "$f")" = redis.pid ] && continue
  echo "  $(basename "$f" .pid): $(awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14+$15)/hz}' /proc/"$(cat "$f")"/stat)"
done
echo "errors in the logs:"
grep -h '"level":"ERROR"' "$OUT"/*.log | head -20 || true
cat "$OUT"/*.log | grep -c '"level":"ERROR"' || true
echo "logs in $OUT"
exit "$rc"
