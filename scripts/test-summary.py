#!/usr/bin/env python3
"""Print the closing line of a meson test run, counting GoogleTest cases
(from the JUnit file meson's gtest protocol leaves beside the log) rather
than whole test programs: "secretmem: N passed, N failed, N skipped".
  test-summary.py BUILD [SETUP]
SETUP: the run was `meson test --setup SETUP`, whose log meson names
testlog-SETUP.json."""
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def gtest_counts(junit: Path):
    passed = failed = skipped = 0
    for case in ET.parse(junit).getroot().iter("testcase"):
        if case.find("failure") is not None:
            failed += 1
        elif case.get("result") == "skipped":
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def main(build: Path, setup: str = "") -> int:
    passed = failed = skipped = 0
    log = f"testlog-{setup}.json" if setup else "testlog.json"
    for line in (build / "meson-logs" / log).read_text().splitlines():
        test = json.loads(line)
        junit = build / f"{test['name'].split(' / ')[-1]}.xml"
        ok = test["result"] in ("OK", "EXPECTEDFAIL", "SKIP")
        if junit.exists():
            p, f, s = gtest_counts(junit)
            # A crash or a timeout outside any test case still fails the run.
            passed, failed, skipped = passed + p, failed + f + (0 if ok or f else 1), skipped + s
        elif test["result"] == "SKIP":
            skipped += 1
        elif ok:
            passed += 1
        else:
            failed += 1
    print(f"secretmem: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), *sys.argv[2:3]))
