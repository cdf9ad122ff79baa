#!/usr/bin/env bash
# Installs the Debian packages strata builds and tests with. Idempotent and quick when
# everything is already there.
set -euo pipefail

PACKAGES=(
  bazel-bootstrap build-essential pkg-config
  libgrpc++-dev libgrpc-dev protobuf-compiler-grpc protobuf-compiler libprotobuf-dev
  libabsl-dev libssl-dev libcurl4-openssl-dev libyaml-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev libre2-dev
  clang-format clang-tidy clang libclang-rt-14-dev python3 curl wrk
  node-llhttp
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# The machine image ships Node.js with npm; Debian's npm is the fallback.
if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi
# kubectl drives the stand-in API server in the tests; Debian's kubernetes-client is the
# fallback when the machine has none.
if ! command -v kubectl >/dev/null 2>&1; then missing+=(kubernetes-client); fi
# openssl makes the tests' certificates.
if ! command -v openssl >/dev/null 2>&1; then missing+=(openssl); fi
if ((${#missing[@]})); then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
  echo "installing: ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
