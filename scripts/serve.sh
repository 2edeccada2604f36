#!/usr/bin/env bash
# Serve the whole service on 127.0.0.1: the web app under gunicorn and one background worker,
# started and stopped together (Ctrl-C or SIGTERM stops both; if either stops, so does the other).
#   scripts/serve.sh [PORT]        (default 5000)
# Settings come from the environment (see README "Running it live"). With no QUEUE_URL set the
# queue is a SQLite file in instance/. With REDIS_URL set (make run starts a Redis for it) the
# sign-in limits are counted there and two gunicorn processes serve; without shared rate-limit
# storage one process serves, with threads, so the limits count in one place.
set -euo pipefail
cd "$(dirname "$0")/.."
port="${1:-5000}"
bin=".venv/bin"
export QUEUE_URL="${QUEUE_URL:-sqlite:///$PWD/instance/queue.sqlite3}"
# Off production, links in emails point at where this serves (production must name its host).
if [[ "${MARKETPLACE_ENV:-}" != production && -z "${SERVER_NAME:-}" ]]; then
    export SERVER_NAME="127.0.0.1:$port"
fi
if [[ -n "${REDIS_URL:-}" && -z "${RATELIMIT_STORAGE_URI:-}" ]]; then
    export RATELIMIT_STORAGE_URI="$REDIS_URL"
fi
if [[ "${RATELIMIT_STORAGE_URI:-memory://}" == memory://* ]]; then
    export WEB_CONCURRENCY=1
else
    export WEB_CONCURRENCY="${WEB_CONCURRENCY:-2}"
fi

"$bin/flask" --app wsgi worker run &
worker=$!
"$bin/gunicorn" --bind "127.0.0.1:$port" --workers "$WEB_CONCURRENCY" --threads 4 \
    --graceful-timeout 10 --no-control-socket wsgi:app &
web=$!

stop() {
    trap - INT TERM EXIT
    kill -TERM "$web" "$worker" 2>/dev/null || true
    wait "$web" "$worker" 2>/dev/null || true
}
trap stop INT TERM EXIT
# Whichever stops first, stop the other.
wait -n "$web" "$worker" || true
