#!/usr/bin/env bash
# Runs every strata test: installs what is missing, checks formatting, builds and runs all
# Bazel tests, runs clang-tidy (tests/check_tidy.sh), runs the README's first command and
# checks the demo answers (tests/check_local_run.sh), runs every Bazel test again under ASan +
# UBSan (--config=asan), fuzzes the parsers briefly (tests/fuzz), and ends with one line
# "N passed, N failed": the test cases of the default run (from the JUnit XML), plus one each
# for the formatting check, clang-tidy, the local run, the sanitizer run and the fuzzing. It
# exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
./bazel/install_deps.sh

status=0
format_result=passed
if ! ./tests/check_format.sh; then format_result=failed; fi

bazel test //... "$@"
rc=$?
[ $rc -eq 0 ] || status=1
# The test logs are read now: the sanitizer run below writes its own over them.
testlogs="$(bazel info bazel-testlogs 2>/dev/null)"
targets="$(bazel query 'tests(//...) except attr(tags, "manual", //...)' --output=label 2>/dev/null)"
counts="$(mktemp)"
trap 'rm -f "$counts"' EXIT
python3 - "$testlogs" "$targets" >"$counts" <<'PY'
import pathlib, sys
import xml.etree.ElementTree as ET
passed = failed = 0
root = pathlib.Path(sys.argv[1])
for label in sys.argv[2].split():
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
print(passed, failed)
PY
passed=0
failed=1  # if the logs could not be read at all
if read -r p f <"$counts" && [[ "$p" =~ ^[0-9]+$ && "$f" =~ ^[0-9]+$ ]]; then
  passed=$p
  failed=$f
fi
# A failed test case fails the run even when Bazel said nothing (a filtered or empty run).
[ "$failed" -eq 0 ] || status=1

# Each of these counts as one test case.
count() {  # NAME RESULT
  if [ "$2" = passed ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    status=1
    echo "$1 failed" >&2
  fi
}

count formatting "$format_result"

# clang-tidy over our sources, with the compile commands of the build above.
if ./tests/check_tidy.sh; then count clang-tidy passed; else count clang-tidy failed; fi

# The README's first command, end to end (tests/check_local_run.sh).
if ./tests/check_local_run.sh; then count local-run passed; else count local-run failed; fi

# Every test again with ASan + UBSan on our code.
if bazel test --config=asan //... "$@"; then count asan passed; else count asan failed; fi

# Fuzzing with clang's libFuzzer (outside Bazel), 20 s per fuzzer.
if ./tests/fuzz/run_fuzzers.sh 20; then count fuzzing passed; else count fuzzing failed; fi

echo "$passed passed, $failed failed"
exit $status
