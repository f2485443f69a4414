#!/usr/bin/env bash
# Throughput of venue recommendations against what the stack can serve at all: wrk (32 connections,
# 60 s a figure) against one gunicorn as gunicorn.conf.py configures it, on PostgreSQL, the learned
# ranker active, measuring in the same run
#   ceiling  GET /users/{id}/: token authentication and one row, the most any authenticated endpoint reaches
#   reco     GET /reco/venues/{id}/?limit=10, the learned recommendation
#   mix      90 % of those recommendations, 10 % interactions (a like or a view with dwell, POSTed by the
#            person to /venues/{venue}/interactions/) that change what they are recommended next
# each for 500 people in turn with their own token (bench/reco.lua), then a table of each one's req/s,
# p50/p99, errors and non-2xx answers and its share of the ceiling (bench/load_report.py).
#   bash bench/load.sh 1k      the 1,000-user / 1,000-venue / 20,000-interaction world (database luna_load)
#   bash bench/load.sh 100k    10,000 users / 100,000 venues / 1,000,000 interactions (database luna_bench)
# It seeds and trains when the world is not there yet, prints the load average before and after, and
# each gunicorn process's RSS and PSS after the run (bench/memory.sh). wrk runs on the same two cores as
# the server: it is a C program with one thread per core and costs a few per cent of them (locust,
# bench/locust.sh, cost half).
# ROUNDS=2 measures ceiling, reco, mix, ceiling, reco, mix (each round's shares are of its own ceiling:
# figures of the same minutes). LOAD_CONNECTIONS, LOAD_DURATION (a figure's, e.g. 60s), LOAD_THREADS and
# LOAD_PORT override the defaults; LOAD_PATH asks the reco and mix rows for another path than
# /reco/venues/{id}/?limit=10 ({id}: the person's id), e.g. '/reco/venues/{id}/?limit=10&ranker=formula'.
# The shared cache is the embedded default (a file cache) unless CACHE_URL names Redis, as production's
# recipe does: the per-user limits and the impressions' daily count make several calls to it per
# recommendation (and none per ceiling request), about 9 ms of CPU more per recommendation on the file cache.
# LOAD_DURING=activate switches the served model during the run (the formula a third of the way through
# all its figures, the newest trained version again at two thirds); LOAD_DURING=recount makes popularity
# be counted again during it (LUNA_RECO_CACHE_SECONDS=20: a recount every 10 s, by one of the workers).
set -euo pipefail
cd "$(dirname "$0")/.."

SCENARIO="${1:-1k}"
case "$SCENARIO" in
    1k) DB=luna_load; SEED="--users 1000 --venues 1000 --interactions 20000 --degree 20" ;;
    100k) DB=luna_bench; SEED="--users 10000 --venues 100000 --interactions 1000000 --degree 20" ;;
    *) echo "usage: bash bench/load.sh 1k|100k" >&2; exit 2 ;;
esac
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/$DB}" DEBUG=0
# 500 people asking hundreds of times a minute each: far above what one person may ask, post or have
# recorded in a day, so those limits are lifted (their cache round trips are still made): a 429 is
# not an answer.
export LUNA_THROTTLE_RECOMMENDATIONS="${LUNA_THROTTLE_RECOMMENDATIONS:-1000000/minute}"
export LUNA_THROTTLE_INTERACTIONS="${LUNA_THROTTLE_INTERACTIONS:-1000000/minute}"
export LUNA_IMPRESSIONS_PER_USER_PER_DAY="${LUNA_IMPRESSIONS_PER_USER_PER_DAY:-1000000000}"
CONNECTIONS="${LOAD_CONNECTIONS:-32}" DURATION="${LOAD_DURATION:-60s}" THREADS="${LOAD_THREADS:-2}"
PORT="${LOAD_PORT:-8091}" DURING="${LOAD_DURING:-}" ROUNDS="${ROUNDS:-1}"
DEFAULT_PATH='/reco/venues/{id}/?limit=10' LOAD_PATH="${LOAD_PATH:-$DEFAULT_PATH}"
CEILING_PATH='/users/{id}/'
MIX_WRITES=0.1
case "$DURING" in
    "" | activate) ;;
    recount) export LUNA_RECO_CACHE_SECONDS=20 ;;
    *) echo "LOAD_DURING is activate or recount" >&2; exit 2 ;;
esac
case "$DURATION" in
    *[0-9]s) ;;
    *) echo "LOAD_DURATION is a number of seconds, e.g. 60s" >&2; exit 2 ;;
esac
case "$ROUNDS" in
    [1-9] | [1-9][0-9]) ;;
    *) echo "ROUNDS is a number of rounds, e.g. 2" >&2; exit 2 ;;
esac
PY=.venv/bin/python
OUT=bench/out
mkdir -p "$OUT"
FIGURES="$OUT/load-$SCENARIO.jsonl"  # one JSON line per figure, for bench/load_report.py
WRK_OUT="$OUT/wrk-$SCENARIO.txt"    # wrk's own output, latency distributions included

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

# Tokens for 500 people, what the wrk script rotates through, and the venues the mix's writes are for.
$PY manage.py shell --no-imports -c "
from users.models import User
from users.services import auth_token_create
from venues.models import Venue
with open('$OUT/people.txt', 'w') as out:
    for user in User.objects.filter(is_active=True, is_staff=False).order_by('id')[:500]:
        out.write(f'{user.id} {auth_token_create(user=user)}\n')
with open('$OUT/venues.txt', 'w') as out:
    out.writelines(f'{pk}\n' for pk in Venue.objects.order_by('?').values_list('pk', flat=True)[:1000])
"

.venv/bin/gunicorn -c gunicorn.conf.py --bind "127.0.0.1:$PORT" --access-logfile /dev/null --log-level warning luna.wsgi &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do  # the master loads the catalogue and the model before it serves
    curl -fs "http://127.0.0.1:$PORT/health/" >/dev/null && break
    sleep 0.2
done

measure() {  # label, path, share of writes, duration
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "$4" --latency -s bench/reco.lua "http://127.0.0.1:$PORT" \
        -- "$OUT/people.txt" "$2" "$3" "$OUT/venues.txt" "$1"
}
# Every worker loads its catalogue on its first request: warm them up before timing.
measure warm-up "$LOAD_PATH" "$MIX_WRITES" 10s >/dev/null

echo "scenario $SCENARIO: ceiling GET $CEILING_PATH; reco GET $LOAD_PATH; mix: $MIX_WRITES of it POST /venues/{venue}/interactions/"
echo "$(nproc) cores; $CONNECTIONS connections for $DURATION a figure, $ROUNDS round(s); gunicorn workers as gunicorn.conf.py sets them"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$DURING" = activate ]; then
    seconds=$((${DURATION%s} * 3 * ROUNDS))
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
    switch=$!
fi
: >"$FIGURES"
: >"$WRK_OUT"
for round in $(seq 1 "$ROUNDS"); do
    for figure in ceiling reco mix; do
        case "$figure" in
            ceiling) path="$CEILING_PATH" writes=0 ;;
            reco) path="$LOAD_PATH" writes=0 ;;
            mix) path="$LOAD_PATH" writes="$MIX_WRITES" ;;
        esac
        echo "== round $round: $figure ($(date +%T))" >>"$WRK_OUT"
        measure "$figure" "$path" "$writes" "$DURATION" | tee -a "$WRK_OUT" \
            | awk -v round="$round" -v figures="$FIGURES" '/^RESULT/ {print "round " round " " $0; fflush()}
                /^FIGURES / {sub(/^FIGURES \{/, "{\"round\": " round ", "); print >>figures}'
    done
done
[ -z "${switch:-}" ] || wait "$switch"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
$PY bench/load_report.py "$FIGURES"
echo
echo "memory of the server after the run:"
bash bench/memory.sh "$server"
