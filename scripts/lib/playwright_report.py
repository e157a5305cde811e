#!/usr/bin/env python3
"""Reads the JSON report Playwright wrote (end2end/playwright.config.ts) and exits 0 only if the
suite really ran and passed: `cargo leptos end-to-end` (0.3.10) exits 0 even when its own build
fails or it is interrupted, so its exit status alone proves nothing.

Usage: playwright_report.py REPORT STARTED_AT_UNIX_SECONDS

Refused: no report, a report older than this run, a top-level error (config, global setup, a
worker crash), no test that passed, any unexpected, flaky, skipped or interrupted test.
"""

import datetime
import json
import sys


def results(suite):
    """Every (title, status) of every attempt in `suite` and its sub-suites."""
    for spec in suite.get("specs", []):
        for test in spec.get("tests", []):
            for result in test.get("results", []):
                yield spec.get("title", "?"), result.get("status", "?")
    for child in suite.get("suites", []):
        yield from results(child)


def main(path, started_at):
    try:
        with open(path, encoding="utf-8") as file:
            report = json.load(file)
    except FileNotFoundError:
        print(f"Playwright wrote no report ({path}): the suite did not run", file=sys.stderr)
        return 1
    except ValueError as error:
        print(f"Playwright's report {path} is not JSON: {error}", file=sys.stderr)
        return 1

    stats = report.get("stats", {})
    begun = stats.get("startTime", "")
    try:
        begun_at = datetime.datetime.fromisoformat(begun.replace("Z", "+00:00")).timestamp()
    except ValueError:
        begun_at = 0.0
    counts = {key: int(stats.get(key, 0)) for key in ("expected", "unexpected", "flaky", "skipped")}
    attempts = list(results({"suites": report.get("suites", [])}))
    interrupted = [title for title, status in attempts if status == "interrupted"]
    errors = report.get("errors", [])

    print(
        f"Playwright: {counts['expected']} passed, {counts['unexpected']} failed, "
        f"{counts['flaky']} flaky, {counts['skipped']} skipped or not run, "
        f"{len(interrupted)} interrupted, {len(errors)} top-level errors "
        f"({len(attempts)} attempts, started {begun or 'never'})"
    )
    problems = []
    if begun_at + 1 < started_at:
        problems.append(f"the report is from an earlier run (started {begun})")
    if counts["expected"] == 0:
        problems.append("no test passed")
    for key in ("unexpected", "flaky", "skipped"):
        if counts[key]:
            problems.append(f"{counts[key]} {key}")
    if interrupted:
        problems.append("interrupted: " + ", ".join(interrupted))
    for error in errors:
        problems.append("error: " + str(error.get("message", error)).splitlines()[0])
    for problem in problems:
        print(f"Playwright report: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], float(sys.argv[2])))
