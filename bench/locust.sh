#!/usr/bin/env bash
# Load test: 50 simulated people for 60 s against gunicorn on PostgreSQL with
# the 1,000-venue world. Prints locust's summary and the markdown table for
# docs/benchmarks.md. Usage: bash bench/locust.sh  (from the project root)
set -euo pipefail
cd "$(dirname "$0")/.."

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/luna_load}"
export DEBUG=0 LUNA_RECO_CACHE_SECONDS="${LUNA_RECO_CACHE_SECONDS:-5}"
# A simulated person waits 0.05-0.25 s between requests, far faster than a real one: the per-user
# limits are lifted (their cache round trips are still made).
export LUNA_THROTTLE_RECOMMENDATIONS="${LUNA_THROTTLE_RECOMMENDATIONS:-1000000/minute}"
export LUNA_IMPRESSIONS_PER_USER_PER_DAY="${LUNA_IMPRESSIONS_PER_USER_PER_DAY:-1000000000}"
USERS="${LOAD_USERS:-50}" DURATION="${LOAD_DURATION:-60s}" PORT="${LOAD_PORT:-8090}"
PY=.venv/bin/python
OUT=bench/out
mkdir -p "$OUT"

make install >/dev/null
$PY -m pip install --quiet -r bench/requirements.txt
$PY .ci/pg_ready.py "$DATABASE_URL"
$PY manage.py migrate --noinput --verbosity 0

# Reuse the world when it is already there.
venues=$($PY manage.py shell --no-imports -c "from venues.models import Venue; print(Venue.objects.count())")
if [ "$venues" != "1000" ]; then
    $PY manage.py seed --reset --users 1000 --venues 1000 --interactions 20000 --degree 20 --random-seed 42
fi

# Tokens for 200 people and the venue ids the scenario picks from.
$PY manage.py shell --no-imports -c "
import json
from users.services import auth_token_create
from users.models import User
from venues.models import Venue
people = [
    {'id': str(user.id), 'token': auth_token_create(user=user)}
    for user in User.objects.filter(is_active=True, is_staff=False).order_by('id')[:200]
]
venues = [str(pk) for pk in Venue.objects.order_by('id').values_list('id', flat=True)]
json.dump({'people': people, 'venues': venues}, open('$OUT/world.json', 'w'))
"

.venv/bin/gunicorn -c gunicorn.conf.py --bind "127.0.0.1:$PORT" --access-logfile /dev/null luna.wsgi &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
    curl -fs "http://127.0.0.1:$PORT/health/" >/dev/null && break
    sleep 0.2
done

.venv/bin/locust -f bench/locustfile.py --headless --users "$USERS" --spawn-rate 25 --run-time "$DURATION" \
    --host "http://127.0.0.1:$PORT" --csv "$OUT/load" --only-summary || true

echo
echo "Workers: $(nproc) cores, gunicorn workers as in gunicorn.conf.py; world: 1,000 users, 1,000 venues, 20,000 interactions."
$PY bench/load_report.py "$OUT/load_stats.csv"
