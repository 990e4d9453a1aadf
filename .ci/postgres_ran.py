"""Fail unless the JUnit report shows PostgreSQL tests that ran and none that were skipped."""

import sys
import xml.etree.ElementTree as ET

report = sys.argv[1]
try:
    cases = list(ET.parse(report).getroot().iter("testcase"))
except (OSError, ET.ParseError) as exc:
    sys.exit(f"postgres check: cannot read {report}: {exc}")
postgres = [c for c in cases if "[postgresql" in c.get("name", "")]
skipped = [c for c in postgres if c.find("skipped") is not None]
if not postgres:
    sys.exit("postgres check: no PostgreSQL test ran")
if skipped:
    for case in skipped:
        print(f"skipped: {case.get('classname')}::{case.get('name')}: {case.find('skipped').get('message')}")
    sys.exit(f"postgres check: {len(skipped)} PostgreSQL test(s) skipped")
print(f"postgres check: {len(postgres)} PostgreSQL test(s) ran, none skipped")
