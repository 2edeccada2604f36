#!/usr/bin/env bash
# Run a command against a throwaway one-node Elasticsearch:
#   scripts/with-elasticsearch.sh pytest tests/marketplace/search
# The node is Elastic's own test distribution, org.elasticsearch.distribution.integ-test-zip
# (the server with only the transport-netty4, x-pack-core, x-pack-security and apm modules),
# fetched from Maven Central once into .cache/elasticsearch (git ignores it). Maven Central
# carries that distribution up to 8.19.21; no 9.x is published there, so the node is 8.19.21,
# reached through the app's 9.x client (which sends plain JSON media types, see
# marketplace/search/elastic_engine.py). It runs on the Temurin 25 JDK when present (else the
# `java` on PATH, 17 or later; ES_JAVA_HOME chooses), as the unprivileged `elasticsearch` user
# when run as root (Elasticsearch refuses root), with security off, a fixed 512 MB heap, on
# 127.0.0.1 on free ports, its config, data and logs in a temporary folder. The command sees
# ELASTICSEARCH_URL. The node is stopped and the folder removed however the command ends.
set -euo pipefail

ES_VERSION=${ELASTICSEARCH_VERSION:-8.19.21}
START_SECONDS=${ELASTICSEARCH_START_SECONDS:-300}
# The modules the distribution must load: the HTTP transport. Everything the engine uses (text
# and keyword fields, geo_point and geo_distance, highlighting, terms and range aggregations,
# aliases, bulk) is in the server itself; synonyms are expanded at query time, so the missing
# analysis-common module is not needed.
MODULES=(transport-netty4)
cache=${ELASTICSEARCH_CACHE:-"$(cd "$(dirname "$0")/.." && pwd)/.cache/elasticsearch"}
home="$cache/elasticsearch-$ES_VERSION"

fetch() {
    command -v mvn >/dev/null || { echo "with-elasticsearch: mvn not found (apt-get install maven)" >&2; exit 2; }
    command -v unzip >/dev/null || { echo "with-elasticsearch: unzip not found (apt-get install unzip)" >&2; exit 2; }
    echo "with-elasticsearch: fetching the Elasticsearch $ES_VERSION test distribution into $cache (once)"
    mkdir -p "$cache"
    rm -rf "$cache/download" "$home.partial"
    timeout 900 mvn -q -B -Dstyle.color=never -Dmaven.repo.local="$cache/repo" dependency:copy \
        -Dartifact="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip" \
        -DoutputDirectory="$cache/download" >&2
    mkdir -p "$home.partial"
    unzip -q "$cache/download/elasticsearch-$ES_VERSION.zip" -d "$home.partial"
    rm -rf "$home"
    mv "$home.partial/elasticsearch-$ES_VERSION" "$home"
    rm -rf "$home.partial" "$cache/download" "$cache/repo/org/elasticsearch"
}
[ -x "$home/bin/elasticsearch" ] || fetch

if [ -z "${ES_JAVA_HOME:-}" ]; then
    if [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
        ES_JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
    elif command -v java >/dev/null; then
        ES_JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
    else
        echo "with-elasticsearch: no Java found (set ES_JAVA_HOME)" >&2
        exit 2
    fi
fi
export ES_JAVA_HOME

as_owner=()
if [ "$(id -u)" = 0 ]; then
    id -u elasticsearch >/dev/null 2>&1 ||
        useradd --system --no-create-home --shell /usr/sbin/nologin elasticsearch
    as_owner=(runuser -u elasticsearch --)
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/marketplace-es.XXXXXX")
pid=""
command_pid=""
cleanup() {
    if [ -n "$command_pid" ] && kill -0 "$command_pid" 2>/dev/null; then
        kill -TERM "$command_pid" 2>/dev/null || true
        wait "$command_pid" 2>/dev/null || true
    fi
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
        # The node's own processes are in the group setsid gave it.
        kill -KILL -- "-$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

read -r port transport_port < <(python3 - <<'PY'
import socket
sockets = [socket.socket() for _ in range(2)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in sockets))
for s in sockets:
    s.close()
PY
)

cp -r "$home/config" "$dir/config"
mkdir -p "$dir/data" "$dir/logs" "$dir/tmp"
cat >>"$dir/config/elasticsearch.yml" <<EOF
cluster.name: marketplace-test-$port
network.host: 127.0.0.1
http.port: $port
transport.port: $transport_port
discovery.type: single-node
xpack.security.enabled: false
action.auto_create_index: false
path.data: $dir/data
path.logs: $dir/logs
EOF
node_home="$home"
if [ ${#as_owner[@]} -ne 0 ]; then
    # The unprivileged user may not be able to reach the cache (a clone in a folder only root
    # may enter, as mktemp makes): it runs its own copy of the program, inside its own folder.
    cp -a "$home" "$dir/home"
    node_home="$dir/home"
    chown -R elasticsearch "$dir"
fi

ES_PATH_CONF="$dir/config" ES_TMPDIR="$dir/tmp" ES_JAVA_OPTS="-Xms512m -Xmx512m" \
    setsid "${as_owner[@]}" "$node_home/bin/elasticsearch" >"$dir/node.log" 2>&1 &
pid=$!
url="http://127.0.0.1:$port"

# Wait (bounded) for this node (its cluster name says so) to answer with yellow or green health.
healthy() {
    curl -fsS --max-time 5 "$url/_cluster/health?wait_for_status=yellow&timeout=2s" 2>/dev/null |
        grep "\"cluster_name\":\"marketplace-test-$port\"" | grep -Eq '"status":"(yellow|green)"'
}
deadline=$((SECONDS + START_SECONDS))
until healthy; do
    if ! kill -0 "$pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
        echo "with-elasticsearch: the node did not become healthy within ${START_SECONDS}s" >&2
        tail -n 40 "$dir/node.log" >&2
        exit 1
    fi
    sleep 1
done

nodes=$(curl -fsS --max-time 10 "$url/_nodes/plugins?filter_path=nodes.*.version,nodes.*.modules.name,nodes.*.plugins.name")
for module in "${MODULES[@]}"; do
    if ! grep -q "\"name\":\"$module\"" <<<"$nodes"; then
        echo "with-elasticsearch: module $module is not loaded: $nodes" >&2
        exit 1
    fi
done

export ELASTICSEARCH_URL="$url"
echo "with-elasticsearch: $(python3 -c 'import json, sys
node = next(iter(json.load(sys.stdin)["nodes"].values()))
print("Elasticsearch", node["version"], "with modules", ", ".join(m["name"] for m in node["modules"]))' \
    <<<"$nodes") on Java $("$ES_JAVA_HOME/bin/java" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p') at $url"
# The command runs in the background and is waited for, so a signal to this script (a timeout)
# stops the command and the node at once instead of after the command ends.
"$@" &
command_pid=$!
status=0
wait "$command_pid" || status=$?
command_pid=""
exit "$status"
