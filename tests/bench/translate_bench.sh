#!/usr/bin/env bash
# Kubernetes-source benchmark (issue 4): 10,000 Ingresses, 5,000 Services and 50,000 endpoints
# read, assembled, translated for both tiers and the proxyless clients, and built into
# snapshots, in process; then one Ingress changed 20 times. Builds //tests/bench:translate_bench
# optimised; prints markdown tables; docs/benchmarks.md records a run. Extra arguments go to
# the binary (--helpfull lists them).
set -euo pipefail
cd "$(dirname "$0")/../.."
./bazel/install_deps.sh
bazel build --config=opt //tests/bench:translate_bench >&2
exec "$(bazel info --config=opt bazel-bin 2>/dev/null)/tests/bench/translate_bench" "$@"
