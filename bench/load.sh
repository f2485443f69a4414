#!/usr/bin/env bash
# Throughput of venue recommendations: wrk (32 connections, 60 s) against gunicorn as
# gunicorn.conf.py configures it, on PostgreSQL, the learned ranker active.
#   bash bench/load.sh 1k      the 1,000-user / 1,000-venue / 20,000-interaction world (database luna_load)
#   bash bench/load.sh 100k    10,000 users / 100,000 venues / 1,000,000 interactions (database luna_bench)
# It seeds and trains when the world is not there yet, prints wrk's figures (req/s, p50/p95/p99/max,
# errors), the load average before and after, and each gunicorn process's RSS and PSS after the run
# (bench/memory.sh). wrk runs on the same two cores as the server: it is a
# C program with one thread per core and costs a few per cent of them (locust, bench/locust.sh, cost half).
# LOAD_CONNECTIONS, LOAD_DURATION (seconds, e.g. 60s), LOAD_THREADS and LOAD_PORT override the defaults.
# LOAD_DURING=activate switches the served model during the run (the formula a third of the way in,
# the newest trained version again at two thirds); LOAD_DURING=recount makes popularity be counted
# again during it (LUNA_RECO_CACHE_SECONDS=20: a recount every 10 s, by one of the workers).
# LOAD_PATH asks for another path than /reco/venues/{id}/?limit=10 ({id}: the person's id), e.g.
# LOAD_PATH=/users/{id}/ for what the same server does with a request that only authenticates and
# reads one row: the ceiling any authenticated endpoint of this stack can reach here.
set -euo pipefail
cd "$(dirname "$0")/.."

SCENARIO="${1:-1k}"
case "$SCENARIO" in
    1k) DB=luna_load; SEED="--users 1000 --venues 1000 --interactions 20000 --degree 20" ;;
    100k) DB=luna_bench; SEED="--users 10000 --venues 100000 --interactions 1000000 --degree 20" ;;
    *) echo "usage: bash bench/load.sh 1k|100k" >&2; exit 2 ;;
esac
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/$DB}" DEBUG=0
# 500 people asking hundreds of times a minute each: far above what one person may ask or have
# recorded in a day, so both limits are lifted (their cache round trips are still made).
export LUNA_THROTTLE_RECOMMENDATIONS="${LUNA_THROTTLE_RECOMMENDATIONS:-1000000/minute}"
export LUNA_IMPRESSIONS_PER_USER_PER_DAY="${LUNA_IMPRESSIONS_PER_USER_PER_DAY:-1000000000}"
CONNECTIONS="${LOAD_CONNECTIONS:-32}" DURATION="${LOAD_DURATION:-60s}" THREADS="${LOAD_THREADS:-2}"
PORT="${LOAD_PORT:-8091}" DURING="${LOAD_DURING:-}"
DEFAULT_PATH='/reco/venues/{id}/?limit=10' LOAD_PATH="${LOAD_PATH:-$DEFAULT_PATH}"
NAME="$SCENARIO"  # of wrk's output file: another path's run gets a file of its own
[ "$LOAD_PATH" = "$DEFAULT_PATH" ] || NAME="$SCENARIO-$(printf '%s' "$LOAD_PATH" | tr -c 'A-Za-z0-9' '_')"
case "$DURING" in
    "" | activate) ;;
    recount) export LUNA_RECO_CACHE_SECONDS=20 ;;
    *) echo "LOAD_DURING is activate or recount" >&2; exit 2 ;;
esac
PY=.venv/bin/python
OUT=bench/out
mkdir -p "$OUT"

command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 2; }
make install >/dev/null
psql -h 127.0.0.1 -U postgres -lqt | cut -d'|' -f1 | grep -qw "$DB" || createdb -h 127.0.0.1 -U postgres "$DB"
$PY manage.py migrate --noinput --verbosity 0
venues=$($PY manage.py shell --no-imports -c "from venues.models import Venue; print(Venue.objects.count())")
expected=$(echo "$SEED" | sed -E 's/.*--venues ([0-9]+).*/\1/')
if [ "$venues" != "$expected" ]; then
    $PY manage.py seed --reset $SEED --random-seed 42
fi
$PY manage.py shell --no-imports -c "
from recommendations.models import RankerVersion
raise SystemExit(0 if RankerVersion.objects.filter(is_active=True).exists() else 1)" || $PY manage.py train_ranker

# Tokens for 500 people: what the wrk script rotates through.
$PY manage.py shell --no-imports -c "
from rest_framework.authtoken.models import Token
from users.models import User
with open('$OUT/people.txt', 'w') as out:
    for user in User.objects.filter(is_active=True, is_staff=False).order_by('id')[:500]:
        out.write(f'{user.id} {Token.objects.get_or_create(user=user)[0].key}\n')
"

.venv/bin/gunicorn -c gunicorn.conf.py --bind "127.0.0.1:$PORT" --access-logfile /dev/null --log-level warning luna.wsgi &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do  # the master loads the catalogue and the model before it serves
    curl -fs "http://127.0.0.1:$PORT/health/" >/dev/null && break
    sleep 0.2
done
# Every worker loads its catalogue on its first request: warm them up before timing.
wrk -t "$THREADS" -c "$CONNECTIONS" -d 10s -s bench/reco.lua "http://127.0.0.1:$PORT" -- "$OUT/people.txt" "$LOAD_PATH" >/dev/null

echo "scenario $SCENARIO: GET $LOAD_PATH; $(nproc) cores; $CONNECTIONS connections for $DURATION; gunicorn workers as gunicorn.conf.py sets them"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$DURING" = activate ]; then
    seconds="${DURATION%s}"
    (
        sleep $((seconds / 3))
        $PY manage.py shell --no-imports -c "
from recommendations.training import ranker_deactivate
ranker_deactivate()"
        echo "$(date +%T) the formula serves"
        sleep $((seconds / 3))
        $PY manage.py shell --no-imports -c "
from recommendations.models import RankerVersion
from recommendations.training import ranker_activate
print(ranker_activate(version=RankerVersion.objects.order_by('-version').first()).version)" >/dev/null
        echo "$(date +%T) the newest model serves again"
    ) &
fi
wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --latency -s bench/reco.lua "http://127.0.0.1:$PORT" -- "$OUT/people.txt" "$LOAD_PATH" \
    | tee "$OUT/wrk-$NAME.txt"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "memory of the server after the run:"
bash bench/memory.sh "$server"
