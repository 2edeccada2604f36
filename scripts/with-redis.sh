#!/usr/bin/env bash
# Run a command with a throwaway Redis (Debian's redis-server) on 127.0.0.1, on a free port,
# nothing written to disk; exports REDIS_URL; stops the server whatever happens.
#   scripts/with-redis.sh CMD [ARGS…]
set -euo pipefail
REDIS_SERVER="${REDIS_SERVER:-/usr/bin/redis-server}"
REDIS_CLI="${REDIS_CLI:-/usr/bin/redis-cli}"
if [[ ! -x "$REDIS_SERVER" ]]; then
    echo "with-redis: $REDIS_SERVER is missing (apt-get install redis-server)" >&2
    exit 1
fi
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$REDIS_SERVER" --bind 127.0.0.1 --port "$port" --save "" --appendonly no --dir "$dir" \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
stop() {
    "$REDIS_CLI" -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap stop EXIT
for _ in $(seq 1 50); do
    "$REDIS_CLI" -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG && break
    sleep 0.1
done
export REDIS_URL="redis://127.0.0.1:$port/0"
"$@"
