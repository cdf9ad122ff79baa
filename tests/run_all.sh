#!/usr/bin/env bash
# Runs every strata test: installs what is missing, checks formatting, builds and runs all
# Bazel tests, fuzzes the parsers briefly (tests/fuzz), and ends with one line "N passed, N failed"
# (test cases, from the JUnit XML; the fuzzing counts as one).
set -uo pipefail
cd "$(dirname "$0")/.."
./bazel/install_deps.sh

status=0
if ! ./tests/check_format.sh; then
  echo "formatting check failed" >&2
  status=1
fi

bazel test //... "$@"
rc=$?
[ $rc -eq 0 ] || status=1

# Fuzzing with clang's libFuzzer (outside Bazel), 20 s per fuzzer; counted as one test case.
fuzz_result=skipped
if command -v clang++ >/dev/null 2>&1; then
  if ./tests/fuzz/run_fuzzers.sh 20; then
    fuzz_result=passed
  else
    fuzz_result=failed
    echo "fuzzing failed" >&2
    status=1
  fi
else
  echo "clang++ not found: fuzzing skipped" >&2
fi

# Count the test cases of the test targets that exist now (stale logs of deleted tests, or
# of a build that failed, must not count); a target without a log counts as a failure.
targets="$(bazel query 'tests(//...) except attr(tags, "manual", //...)' --output=label 2>/dev/null)"
python3 - "$(bazel info bazel-testlogs 2>/dev/null)" "$fuzz_result" "$targets" <<'PY'
import pathlib, sys
import xml.etree.ElementTree as ET
passed = failed = 0
if sys.argv[2] == "passed":
    passed += 1
elif sys.argv[2] == "failed":
    failed += 1
root = pathlib.Path(sys.argv[1])
for label in sys.argv[3].split():
    package, _, name = label.lstrip("/").partition(":")
    xml = root / package / name / "test.xml"
    if not xml.exists():
        failed += 1
        print(f"no test log for {label}", file=sys.stderr)
        continue
    try:
        tree = ET.parse(xml)
    except ET.ParseError:
        failed += 1
        print(f"unreadable test log: {xml}", file=sys.stderr)
        continue
    n = 0
    for case in tree.getroot().iter("testcase"):
        n += 1
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.get("status", "run") == "run" and case.find("skipped") is None:
            passed += 1
    if n == 0:  # a test binary that crashed before writing cases
        failed += 1
        print(f"no test cases in {xml}", file=sys.stderr)
print(f"{passed} passed, {failed} failed")
PY
exit $status
