#!/usr/bin/env bash
# Intake throughput and work per delivery, for docs/performance.md: starts
# each target in turn (so that only one holds PostgreSQL connections),
# empties the inbox and Redis database, runs wrk against it, and prints
# req/s, wrk's p50/p99, the rows and tasks written, and the CPU each part
# spent per delivery (the server process, its PostgreSQL backends, Redis),
# read from /proc — a count of work that, unlike req/s, holds up on a
# machine shared with other load. Run from the repository root, as root
# (it reads other processes' /proc/PID/stat).
#
#   docs/bench/intake.sh CONNS SECONDS TARGET...    TARGET: bare, baseline, serve
#
# Environment: DATABASE_URL (a PostgreSQL database of its own, migrated:
# `backorderd migrate`), REDIS_URL (redis://HOST:PORT/DB, flushed before
# every run), BACKORDERD and INTAKEBENCH (the binaries: go build -o …).
set -euo pipefail
: "${DATABASE_URL:?}" "${REDIS_URL:?}" "${BACKORDERD:?}" "${INTAKEBENCH:?}"
conns=$1 secs=$2; shift 2
db=$(psql -Atq "$DATABASE_URL" -c 'select current_database()')
redis_port=$(echo "$REDIS_URL" | sed -E 's#redis://[^:]*:([0-9]+)/([0-9]+)#\1#')
redis_db=$(echo "$REDIS_URL" | sed -E 's#redis://[^:]*:([0-9]+)/([0-9]+)#\2#')
redis_pid=$(redis-cli -p "$redis_port" info server | awk -F: '/^process_id/ {print $2}' | tr -d '\r')
token=bench-admin-token-0123456789abcdef
ticks() { # utime+stime of the given pids, in clock ticks
  local t=0 p
  for p in "$@"; do [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat"))); done
  echo "$t"
}
backends() { psql -Atq "$DATABASE_URL" -c "select pid from pg_stat_activity where datname = '$db' and pid <> pg_backend_pid()"; }
for target in "$@"; do
  case $target in
    bare) "$INTAKEBENCH" bare -addr 127.0.0.1:18092 2>/dev/null & port=18092 ;;
    baseline) "$INTAKEBENCH" baseline -addr 127.0.0.1:18091 2>/dev/null & port=18091 ;;
    serve) SHOPIFY_SHOP_DOMAIN=harbor-kiln-supply.myshopify.com SHOPIFY_WEBHOOK_SECRET=fixture-secret-shopify-do-not-use \
      ADMIN_TOKEN=$token LOG_LEVEL=warn HTTP_ADDR=127.0.0.1:18090 "$BACKORDERD" serve 2>/dev/null & port=18090 ;;
    *) echo "unknown target $target" >&2; exit 2 ;;
  esac
  pid=$!
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.2; done
  PGOPTIONS='-c client_min_messages=warning' psql -q "$DATABASE_URL" -c 'TRUNCATE inbox CASCADE' -c 'CHECKPOINT' >/dev/null
  redis-cli -p "$redis_port" -n "$redis_db" flushdb >/dev/null
  s0=$(ticks "$pid") r0=$(ticks "$redis_pid") p0=$(ticks $(backends))
  out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency -s docs/bench/shopify.lua "http://127.0.0.1:$port/webhooks/shopify")
  p1=$(ticks $(backends)) s1=$(ticks "$pid") r1=$(ticks "$redis_pid")
  rows=$(psql -Atq "$DATABASE_URL" -c 'select count(*) from inbox')
  tasks=$(redis-cli -p "$redis_port" -n "$redis_db" llen 'asynq:{intake}:pending')
  batches=""
  if [ "$target" = serve ]; then
    batches=$(curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$port/metrics" |
      awk '/^backorderd_webhook_batch_size_sum/ {s=$2} /^backorderd_webhook_batch_size_count/ {c=$2} END {if (c) printf "mean_batch=%.1f", s/c}')
  fi
  kill "$pid"; wait "$pid" 2>/dev/null || true
  python3 - "$target" "$conns" "$rows" "$tasks" "$(getconf CLK_TCK)" $((s1 - s0)) $((p1 - p0)) $((r1 - r0)) "$batches" <<PY
import sys
t, c, rows, tasks, hz, srv, pg, rds, batches = sys.argv[1:]
out = """$out"""
rps = next(l.split()[1] for l in out.splitlines() if l.startswith("Requests/sec"))
pct = {l.split()[0]: l.split()[1] for l in out.splitlines() if l.strip().startswith(("50%", "99%"))}
us = [int(x) * 1e6 / int(hz) / max(int(rows), 1) for x in (srv, pg, rds)]
print(f"{t} c={c} req/s={rps} p50={pct.get('50%')} p99={pct.get('99%')} rows={rows} tasks={tasks} "
      f"cpu_us/delivery server={us[0]:.0f} postgres={us[1]:.0f} redis={us[2]:.0f} total={sum(us):.0f} {batches} "
      f"load={open('/proc/loadavg').read().split()[0]}")
PY
done
