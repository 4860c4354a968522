#!/usr/bin/env python3
"""Print the closing line of a meson test run, counting GoogleTest cases
(from the JUnit file meson's gtest protocol leaves beside the log) rather
than whole test programs: "secretmem: N passed, N failed, N skipped",
then one line for each test that failed, with the cases that failed in it and
where its log is: CI shows the end of the output, and that is where a failure
has to be named.
  test-summary.py BUILD [SETUP]
SETUP: the run was `meson test --setup SETUP`, whose log meson names
testlog-SETUP.json."""
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def gtest_counts(junit: Path):
    passed = skipped = 0
    failed = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        if case.find("failure") is not None:
            failed.append(f"{case.get('classname')}.{case.get('name')}")
        elif case.get("result") == "skipped":
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def tap_failures(output: str):
    """The "not ok" lines of a TAP test (the kernel selftests), "# SKIP" aside."""
    return [line.split(" ", 3)[-1] for line in output.splitlines()
            if line.startswith("not ok ") and "# SKIP" not in line]


def main(build: Path, setup: str = "") -> int:
    passed = failed = skipped = 0
    failures = []
    log = f"testlog-{setup}.json" if setup else "testlog.json"
    for line in (build / "meson-logs" / log).read_text().splitlines():
        test = json.loads(line)
        junit = build / f"{test['name'].split(' / ')[-1]}.xml"
        ok = test["result"] in ("OK", "EXPECTEDFAIL", "SKIP")
        cases = []
        if junit.exists():
            p, cases, s = gtest_counts(junit)
            passed, skipped = passed + p, skipped + s
            # A crash or a timeout outside any test case still fails the run.
            failed += len(cases) or (0 if ok else 1)
        elif test["result"] == "SKIP":
            skipped += 1
        elif ok:
            passed += 1
        else:
            failed += 1
            cases = tap_failures(test.get("stdout") or "")
        if not ok:
            failures.append((test["name"], test["result"], cases))
    print(f"secretmem: {passed} passed, {failed} failed, {skipped} skipped")
    for name, result, cases in failures:
        print(f"  FAILED {name} ({result}){': ' if cases else ''}{'; '.join(cases)}")
    if failures:
        print(f"  logs: {build / 'meson-logs' / log.replace('.json', '.txt')}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), *sys.argv[2:3]))
