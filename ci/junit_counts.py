#!/usr/bin/env python3
"""Prints "passed failed skipped" from a ctest --output-junit report (zeros if it is missing)."""
import sys
import xml.etree.ElementTree as ElementTree

def main(path):
    suite = ElementTree.parse(path).getroot()
    if suite.tag != "testsuite":
        suite = suite.find("testsuite")
    tests = int(suite.get("tests", 0))
    failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
    skipped = int(suite.get("skipped", 0)) + int(suite.get("disabled", 0))
    print(tests - failed - skipped, failed, skipped)

if __name__ == "__main__":
    main(sys.argv[1])
