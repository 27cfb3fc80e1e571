#!/usr/bin/env python3
"""Reads a ctest --output-junit report (or a GoogleTest --gtest_output=xml one).

Line 1: "passed failed skipped" for the whole report (zeros if it is missing).
Line 2: the conformance tests per start method, e.g. "fork 25/0/2 spawn 27/0/0", or "-" if none.
Conformance tests are named Suite.Test/<start method> by the parameterized suite.
"""
import re
import sys
import xml.etree.ElementTree as ElementTree

METHOD = re.compile(r"\.\w+/(fork|spawn|forkserver)\b")


def outcome(case):
    if case.find("failure") is not None or case.find("error") is not None:
        return 1
    if (case.find("skipped") is not None or case.get("status") in ("notrun", "disabled")
            or case.get("result") == "skipped"):
        return 2
    return 0


def main(path):
    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError):
        print("0 0 0\n-")
        return
    totals = [0, 0, 0]
    per_method = {}
    for case in root.iter("testcase"):
        result = outcome(case)
        totals[result] += 1
        match = METHOD.search(case.get("name", ""))
        if match:
            per_method.setdefault(match.group(1), [0, 0, 0])[result] += 1
    print(*totals)
    print(" ".join(f"{m} {c[0]}/{c[1]}/{c[2]}" for m, c in sorted(per_method.items())) or "-")


if __name__ == "__main__":
    main(sys.argv[1])
