#!/usr/bin/env bash
# Runs strata locally: the control plane serving deploy/examples/ (edit the files while it
# runs: changes are pushed within a second). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/../.."
./bazel/install_deps.sh
bazel build -c opt //controlplane:strata-controlplane //controlplane/ctl:strata-ctl
bin=$(bazel info -c opt bazel-bin)
MANIFESTS=${MANIFESTS:-$PWD/deploy/examples}
cat <<MSG

strata-controlplane is serving $MANIFESTS
  xDS + strata.v1 API : 127.0.0.1:18000    (proxyless gRPC: xds:///web.default:50051)
  metrics             : curl -s http://127.0.0.1:9901/metrics
Try:
  $bin/controlplane/ctl/strata-ctl groups
  $bin/controlplane/ctl/strata-ctl snapshot proxyless
  $bin/controlplane/ctl/strata-ctl proxy-status

MSG
exec "$bin/controlplane/strata-controlplane" --manifests="$MANIFESTS" \
  --xds_address=127.0.0.1:18000 --admin_address=127.0.0.1:9901
