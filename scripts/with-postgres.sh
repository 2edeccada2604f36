#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL 15 server:
#   scripts/with-postgres.sh pytest -m "not browser"
# initdb + pg_ctl in a temporary folder, as the unprivileged `postgres` user when run as root,
# listening only on 127.0.0.1 on a free port. The command sees TEST_DATABASE_URL. The server is
# stopped and the folder removed however the command ends.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
if [ ! -x "$PG_BIN/initdb" ]; then
    echo "with-postgres: $PG_BIN/initdb not found (apt-get install postgresql)" >&2
    exit 2
fi

as_owner=()
if [ "$(id -u)" = 0 ]; then
    # PostgreSQL refuses to run as root.
    id -u postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    as_owner=(runuser -u postgres --)
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/marketplace-pg.XXXXXX")
cleanup() {
    if [ -f "$dir/data/postmaster.pid" ]; then
        "${as_owner[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
[ ${#as_owner[@]} -eq 0 ] || chown postgres "$dir"
chmod 700 "$dir"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

"${as_owner[@]}" "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
# Durability is not needed for a test database: fsync off makes the run quicker.
"${as_owner[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
"${as_owner[@]}" "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres marketplace_test

export TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$port/marketplace_test"
echo "with-postgres: PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
"$@"
