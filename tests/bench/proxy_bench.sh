#!/usr/bin/env bash
# Runs the shared proxy benchmark with strata-proxy (one worker) next to nginx, HAProxy and
# h2o on this machine, and prints the results with ratios to nginx.
#   tests/bench/proxy_bench.sh [--quick] [more proxybench.sh options]
# TLS workloads use the template's second listener (HTTP/1.1 only: h2 workloads are n/a).
set -euo pipefail
cd "$(dirname "$0")/../.."
./bazel/install_deps.sh
need=()
for p in nginx haproxy h2o wrk nghttp2-client openssl perl; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if ((${#need[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi
bazel build --config=opt //dataplane:strata-proxy
proxy="$(bazel info --config=opt bazel-bin)/dataplane/strata-proxy"
template="$PWD/tests/bench/proxy/strata-bootstrap.yaml.in"
bench="${PROXYBENCH:-$PWD/../shared/bench/proxybench.sh}"
exec "$bench" --only nginx,haproxy,h2o,strata \
  --contender strata="\"\$PB_CONF/render.sh\" $template > b.yaml && exec $proxy --config=b.yaml --concurrency=1" \
  "$@"
