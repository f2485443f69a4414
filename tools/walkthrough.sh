#!/usr/bin/env bash
# The README's walkthrough, from signing up to a booked plan, against a running Luna:
#   bash tools/walkthrough.sh                       # http://127.0.0.1:8000
#   LUNA_URL=http://127.0.0.1:8900 bash tools/walkthrough.sh
# `make demo` runs it. Each step prints what it asks and what Luna answers. It makes two new
# people (zoe-… and yann-…, a fresh suffix each run) and one plan; it needs curl and python3.
set -euo pipefail

BASE="${LUNA_URL:-http://127.0.0.1:8000}"
BASE="${BASE%/}"
RUN="$(date +%s)$RANDOM"   # unique handles, so the walkthrough can run again on the same data
PASSWORD="a long passphrase"

# Answers are printed whole up to this many lines; a longer one is cut with a line saying how much is left out.
SHOW_LINES="${LUNA_DEMO_LINES:-80}"

step() { printf '\n== %s\n' "$*"; }
# call METHOD PATH [TOKEN_VARIABLE] [JSON]: prints the answer's body; stops the walkthrough on an HTTP error.
# It first prints the request as a curl command to paste, with the token as its shell variable ($ZOE).
call() {
    local method="$1" path="$2" token_variable="${3:-}" body="${4:-}"
    local args=(-sS --fail-with-body -X "$method" "$BASE$path" -H 'Content-Type: application/json')
    local shown="curl -sS -X $method '$BASE$path' -H 'Content-Type: application/json'"
    if [ -n "$token_variable" ]; then
        args+=(-H "Authorization: Token ${!token_variable}")
        shown+=" -H \"Authorization: Token \$$token_variable\""
    fi
    if [ -n "$body" ]; then
        args+=(-d "$body")
        shown+=" -d '${body//\'/\'\\\'\'}'"
    fi
    printf '$ %s\n' "$shown" >&2
    curl "${args[@]}"
}
# field EXPRESSION: reads the JSON on stdin and prints one value, e.g. field '["token"]'.
field() { python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }
# show: the JSON on stdin, indented, letters as they are (Café, not Caf\u00e9), cut after SHOW_LINES lines
# with a line saying how many lines and characters are left out.
show() {
    python3 -c '
import json, sys
text = json.dumps(json.load(sys.stdin), indent=2, ensure_ascii=False)
lines, limit = text.splitlines(), int(sys.argv[1])
if 0 < limit < len(lines):
    kept = "\n".join(lines[:limit])
    print(kept)
    print(f"[… cut: {len(lines) - limit} more lines, {len(text) - len(kept)} more characters; LUNA_DEMO_LINES=0 prints all]")
else:
    print(text)
' "$SHOW_LINES"
}
answers() { python3 -c "import json, sys; print(*(p['user']['handle'] + ': ' + p['status'] for p in json.load(sys.stdin)['participants']), sep=chr(10))"; }

step "1. Sign up two people, Zoe and her friend Yann, and sign in"
ZOE_ID=$(call POST /users/ "" "{\"handle\": \"zoe-$RUN\", \"name\": \"Zoe\", \"password\": \"$PASSWORD\", \"home_lat\": 40.73, \"home_lng\": -73.99}" | field '["id"]')
YANN_ID=$(call POST /users/ "" "{\"handle\": \"yann-$RUN\", \"name\": \"Yann\", \"password\": \"$PASSWORD\", \"home_lat\": 40.72, \"home_lng\": -73.98}" | field '["id"]')
ZOE=$(call POST /auth/token/ "" "{\"handle\": \"zoe-$RUN\", \"password\": \"$PASSWORD\"}" | field '["token"]')
YANN=$(call POST /auth/token/ "" "{\"handle\": \"yann-$RUN\", \"password\": \"$PASSWORD\"}" | field '["token"]')
echo "zoe-$RUN is $ZOE_ID, yann-$RUN is $YANN_ID; both have a token, kept in ZOE and YANN (to paste the lines below):"
echo "ZOE=$ZOE YANN=$YANN"

step "2. Zoe and Yann add each other (people recommendations come from friends; a friend's likes count, and you may invite them, once they have added you too)"
call POST /social/edges/ ZOE "{\"other_user_id\": \"$YANN_ID\", \"relationship_type\": \"friend\", \"strength\": 0.8}" | show
call POST /social/edges/ YANN "{\"other_user_id\": \"$ZOE_ID\", \"relationship_type\": \"friend\", \"strength\": 0.8}" | show

step "3. Yann likes a venue near them"
VENUE_ID=$(call GET "/venues/?near=40.725,-73.985&radius_km=5&limit=1" ZOE | field '["results"][0]["id"]')
call POST "/venues/$VENUE_ID/interactions/" YANN '{"interaction_type": "like"}' | show

step "4. Venues for Zoe, best first, each with why"
call GET "/reco/venues/$ZOE_ID/?limit=3" ZOE | show

step "5. Whom Zoe should bring to that venue"
call GET "/reco/people/$ZOE_ID/?venue_id=$VENUE_ID&limit=3" ZOE | show

step "6. Zoe makes a plan there tomorrow and invites Yann"
START=$(python3 -c "from datetime import datetime, timedelta, timezone; print((datetime.now(timezone.utc) + timedelta(days=1)).replace(microsecond=0).isoformat())")
PLAN_ID=$(call POST /plans/ ZOE "{\"venue_id\": \"$VENUE_ID\", \"start_time\": \"$START\", \"invitee_ids\": [\"$YANN_ID\"]}" | field '["id"]')
echo "plan $PLAN_ID"

step "7. Yann accepts"
call POST "/plans/$PLAN_ID/respond/" YANN '{"status": "accepted"}' | answers

step "8. Zoe confirms: the booking agent books the venue"
call POST "/plans/$PLAN_ID/confirm/" ZOE | show

step "9. The booking"
call GET "/plans/$PLAN_ID/booking/" ZOE | show
echo
echo "Done: zoe-$RUN's plan $PLAN_ID is confirmed. Open $BASE/admin/plans/plan/$PLAN_ID/change/ to see it."
