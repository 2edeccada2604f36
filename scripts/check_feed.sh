#!/usr/bin/env bash
# The Open Referral UK feed against the ORUK 3.0 UK-profile OpenAPI, with schemathesis:
#   scripts/check_feed.sh [JUNIT_REPORT]        (default test-artifacts/feed.xml)
# Builds a database of the demo records in a temporary instance folder, serves the app under
# gunicorn on 127.0.0.1 on a free port, runs a bounded number of generated requests per operation
# (FEED_EXAMPLES, default 50; a fixed seed) and fails on any server error, a content type or a
# response body the document does not allow, or an unsupported method that is not a 405. The
# server and the folder go whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$PWD/.venv/bin"
report="$(realpath -m "${1:-test-artifacts/feed.xml}")"
examples="${FEED_EXAMPLES:-50}"
work="$(mktemp -d)"
web=""
stop() {
    if [[ -n "$web" ]]; then
        kill -TERM "$web" 2>/dev/null || true
        wait "$web" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap stop EXIT INT TERM

export INSTANCE_PATH="$work/instance" MARKETPLACE_ENV=development
unset DATABASE_URL ELASTICSEARCH_URL OPENSEARCH_URL QUEUE_URL
"$bin/flask" --app wsgi db upgrade >/dev/null
"$bin/flask" --app wsgi demo load >/dev/null
"$bin/python" scripts/oruk_openapi.py "$work/openapi.json"

port="$("$bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$bin/gunicorn" --bind "127.0.0.1:$port" --workers 1 --threads 4 --no-control-socket \
    --log-level warning wsgi:app &
web=$!
for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    kill -0 "$web" 2>/dev/null || { echo "check_feed: the server did not start" >&2; exit 1; }
    sleep 0.5
done

# The operations that read one record get a real one's id (from the feed's first page), so their
# full bodies are checked too; the other parameters are generated.
"$bin/python" - "http://127.0.0.1:$port/openreferral" "$work/schemathesis.toml" <<'PY'
import json, sys, urllib.request

feed, out = sys.argv[1], sys.argv[2]
lines = []
for path in ("services", "service_at_locations", "taxonomies", "taxonomy_terms"):
    with urllib.request.urlopen(f"{feed}/{path}?per_page=1", timeout=30) as answer:
        first = json.load(answer)["contents"][0]["id"]
    lines += ["[[operations]]", f'include-path = "/{path}/{{id}}"', f'parameters = {{ "path.id" = "{first}" }}', ""]
open(out, "w", encoding="utf-8").write("\n".join(lines))
PY

mkdir -p "$(dirname "$report")"
# From the temporary folder, where schemathesis keeps its cache of failures and goes with it.
cd "$work"
timeout --kill-after=30 900 "$bin/schemathesis" --config-file "$work/schemathesis.toml" run "$work/openapi.json" \
    --url "http://127.0.0.1:$port/openreferral" \
    --checks not_a_server_error,content_type_conformance,response_schema_conformance,unsupported_method \
    --max-examples "$examples" --seed 20261206 --workers 1 \
    --generation-database none --no-color \
    --report junit --report-junit-path "$report"
