#!/usr/bin/env bash
# Fuzzes strata's parsers with clang's libFuzzer (plus AddressSanitizer and UBSan) for
# SECONDS each (default 30), outside Bazel: each fuzzer is a few source files compiled directly,
# with flags from pkg-config. Each run starts from a copy of the fuzzer's seed corpus in
# tests/fuzz/corpus/NAME. Exits non-zero if a fuzzer fails to build or finds a crash; the
# reproducer is kept (its path is printed). Replay one with: WORKDIR/NAME CRASH_FILE
#
#   tests/fuzz/run_fuzzers.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds="${1:-30}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: $0 [SECONDS]" >&2
  exit 2
fi
CXX="${CXX_FUZZ:-clang++}"
if ! command -v "$CXX" >/dev/null 2>&1; then
  echo "run_fuzzers: $CXX not found (install clang and libclang-rt-14-dev)" >&2
  exit 2
fi

# name|sources (besides tests/fuzz/NAME.cc)|pkg-config modules|C sources (built with $CC)
LLHTTP_C="/usr/share/llhttp/api.c /usr/share/llhttp/http.c /usr/share/llhttp/llhttp.c"
FUZZERS=(
  "yaml_json_fuzzer|common/yaml_json.cc|yaml-0.1 nlohmann_json absl_status absl_statusor absl_strings absl_str_format|"
  "manifest_parser_fuzzer|common/yaml_json.cc common/tls_key_pair.cc controlplane/source/manifest_parser.cc controlplane/source/names.cc controlplane/translate/traefik_rule.cc controlplane/translate/regex_check.cc|yaml-0.1 nlohmann_json re2 libssl libcrypto absl_status absl_statusor absl_strings absl_str_format absl_time|"
  "proxy_protocol_fuzzer|dataplane/net/proxy_protocol.cc dataplane/net/address.cc|absl_strings absl_str_format absl_status absl_statusor|"
  "traefik_rule_fuzzer|controlplane/translate/traefik_rule.cc controlplane/translate/regex_check.cc|re2 absl_status absl_statusor absl_strings absl_str_format|"
  "watch_decoder_fuzzer|controlplane/kube/watch_decoder.cc|nlohmann_json absl_status absl_statusor absl_strings|"
  "http1_parser_fuzzer|dataplane/http/header_map.cc dataplane/http/http1_parser.cc dataplane/http/http1_encoder.cc|absl_strings|$LLHTTP_C"
)
CC="${CC_FUZZ:-clang}"

work="$(mktemp -d "${TMPDIR:-/tmp}/strata-fuzz.XXXXXX")"
keep_work=0
cleanup() { if [ "$keep_work" = 0 ]; then rm -rf "$work"; fi; }
trap cleanup EXIT

CXXFLAGS=(-std=c++20 -O1 -g -fno-omit-frame-pointer -fno-exceptions
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-sanitize=vptr
  -I. -I/usr/share/include/llhttp)
CFLAGS=(-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined
  -DLLHTTP_STRICT_MODE=1 -I/usr/share/include/llhttp)

status=0
for entry in "${FUZZERS[@]}"; do
  IFS='|' read -r name sources modules c_sources <<<"$entry"
  corpus_seed="tests/fuzz/corpus/${name%_fuzzer}"
  binary="$work/$name"
  echo "== $name: building"
  objects=()
  c_failed=0
  for c in $c_sources; do
    object="$work/${name}_$(basename "$c" .c).o"
    "$CC" "${CFLAGS[@]}" -c "$c" -o "$object" || c_failed=1
    objects+=("$object")
  done
  # shellcheck disable=SC2086 # word splitting of the source and flag lists is intended
  if [ "$c_failed" = 1 ] || ! "$CXX" "${CXXFLAGS[@]}" $(pkg-config --cflags $modules) \
    "tests/fuzz/$name.cc" $sources "${objects[@]}" $(pkg-config --libs $modules) -o "$binary"; then
    echo "== $name: BUILD FAILED" >&2
    status=1
    continue
  fi
  corpus="$work/${name}_corpus"
  artifacts="$work/${name}_artifacts"
  mkdir -p "$corpus" "$artifacts"
  cp "$corpus_seed"/* "$corpus"/
  echo "== $name: fuzzing for ${seconds}s from $(ls "$corpus" | wc -l) seeds"
  if ASAN_OPTIONS="detect_leaks=1:abort_on_error=0" UBSAN_OPTIONS="print_stacktrace=1" \
    "$binary" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" >"$work/$name.log" 2>&1; then
    echo "== $name: ok ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$work/$name.log" | grep -o '[0-9]*$') runs)"
  else
    echo "== $name: FAILED; last lines of its log:" >&2
    tail -40 "$work/$name.log" >&2
    echo "== $name: reproducers in $artifacts: $(ls "$artifacts")" >&2
    status=1
    keep_work=1
  fi
done
if [ "$keep_work" = 1 ]; then echo "run_fuzzers: work directory kept: $work" >&2; fi
exit $status
