#!/usr/bin/env bash
# Runs clang-tidy (checks in .clang-tidy, every warning an error) over strata's own sources,
# with the compile commands Bazel uses for them. Needs a build of those sources first, for the
# generated protobuf headers: run after `bazel build //...` (tests/run_all.sh does).
# Usage: tests/check_tidy.sh [-j N] [FILE...]   (default: every .cc under common/, controlplane/,
# dataplane/)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=2
if [ "${1:-}" = "-j" ]; then
  jobs=$2
  shift 2
fi
workspace=$(pwd)
execroot=$(bazel info execution_root 2>/dev/null)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

bazel aquery 'mnemonic("CppCompile", //common/... + //controlplane/... + //dataplane/...)' \
  --output=jsonproto >"$work/actions.json" 2>"$work/aquery.log" || {
  cat "$work/aquery.log" >&2
  exit 1
}
# The compile commands, minus gcc-only flags and Bazel's build-stamp redefinitions.
python3 - "$work/actions.json" "$execroot" "$work/compile_commands.json" <<'PY'
import json, sys
actions, root, out = json.load(open(sys.argv[1])).get("actions", []), sys.argv[2], []
gcc_only = ("-fno-canonical-system-headers", "-Wno-free-nonheap-object",
            "-Wunused-but-set-parameter", "-fdiagnostics-color", "-MD", "-frandom-seed",
            "-D__DATE__", "-D__TIME__", "-D__TIMESTAMP__")
for action in actions:
    args = action["arguments"]
    src = args[args.index("-c") + 1]
    kept, skip = ["clang++"], False
    for arg in args[1:]:
        if skip:
            skip = False
        elif arg in ("-MF", "-o"):
            skip = True
        elif not arg.startswith(gcc_only):
            kept.append(arg)
    out.append({"directory": root, "file": src, "arguments": kept})
json.dump(out, open(sys.argv[3], "w"))
PY

if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(python3 -c 'import json,sys; print("\n".join(sorted({e["file"] for e in json.load(open(sys.argv[1]))})))' "$work/compile_commands.json")
fi
echo "clang-tidy: ${#files[@]} files, $jobs at a time" >&2
# Sources are read through the execution root, where Bazel links the workspace's top level.
cd "$execroot"
printf '%s\n' "${files[@]}" |
  xargs -P "$jobs" -I{} sh -c 'clang-tidy --quiet -p "$1" --config-file="$2/.clang-tidy" "$3" >"$1/$(echo "$3" | tr / _).log" 2>&1 || { cat "$1/$(echo "$3" | tr / _).log"; exit 1; }' _ "$work" "$workspace" {}
