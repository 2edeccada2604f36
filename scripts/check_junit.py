"""Check that a test stage really ran: `python scripts/check_junit.py REPORT.xml [--no-skips]
[--property NAME=VALUE]`. Fails when the report is missing, ran no tests, had failures or errors,
skipped tests (with --no-skips), or lacks a suite property (e.g. database=postgresql)."""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET  # noqa: S405  (our own pytest report)
from pathlib import Path


def problems(report: Path, no_skips: bool, properties: list[str]) -> list[str]:
    if not report.exists():
        return [f"{report} is missing: the stage did not run"]
    suites = ET.parse(report).getroot().iter("testsuite")  # noqa: S314
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    found: set[str] = set()
    for suite in suites:
        for key in totals:
            totals[key] += int(suite.get(key, 0))
        for prop in suite.iter("property"):
            found.add(f"{prop.get('name')}={prop.get('value')}")
    passed = totals["tests"] - totals["skipped"] - totals["failures"] - totals["errors"]
    issues = [f"{report}: no test passed"] if passed <= 0 else []
    if totals["failures"] or totals["errors"]:
        issues.append(f"{report}: {totals['failures']} failed, {totals['errors']} errors")
    if no_skips and totals["skipped"]:
        issues.append(f"{report}: {totals['skipped']} skipped (they must run here)")
    issues += [f"{report}: suite property {p} missing" for p in properties if p not in found]
    return issues


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("report", type=Path)
    parser.add_argument("--no-skips", action="store_true")
    parser.add_argument("--property", action="append", default=[])
    args = parser.parse_args()
    issues = problems(args.report, args.no_skips, args.property)
    for issue in issues:
        print(f"check_junit: {issue}", file=sys.stderr)
    if not issues:
        print(f"check_junit: {args.report} ok")
    return 1 if issues else 0


if __name__ == "__main__":
    sys.exit(main())
