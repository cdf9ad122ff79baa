#!/usr/bin/env bash
# Runs every strata test: installs what is missing, checks formatting, builds and runs all
# Bazel tests, and ends with one line "N passed, N failed" (test cases, from the JUnit XML).
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

python3 - "$(bazel info bazel-testlogs 2>/dev/null)" <<'PY'
import pathlib, sys
import xml.etree.ElementTree as ET
passed = failed = 0
root = pathlib.Path(sys.argv[1])
for xml in sorted(root.rglob("test.xml")):
    try:
        tree = ET.parse(xml)
    except ET.ParseError:
        failed += 1
        print(f"unreadable test log: {xml}", file=sys.stderr)
        continue
    cases = tree.getroot().iter("testcase")
    n = 0
    for case in cases:
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
