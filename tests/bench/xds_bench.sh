#!/usr/bin/env bash
# Control-plane benchmark: 1,000 simulated Envoys (ADS) on loopback against one strata control
# plane serving 100 node groups (10,000 routes, 5,000 clusters, 50,000 endpoints). Builds
# //tests/bench:xds_bench optimised and runs it for SotW, then Delta, each against a fresh
# control-plane process. Prints markdown tables on stdout; docs/benchmarks.md records a run.
# Extra arguments go to the binary, e.g.:
#   tests/bench/xds_bench.sh --modes=delta --one_group_updates=100
# (--helpfull lists them all.)
set -euo pipefail
cd "$(dirname "$0")/../.."
./bazel/install_deps.sh
bazel build --config=opt //tests/bench:xds_bench >&2
bin="$(bazel info --config=opt bazel-bin 2>/dev/null)/tests/bench/xds_bench"
exec "$bin" --modes=sotw,delta "$@"
