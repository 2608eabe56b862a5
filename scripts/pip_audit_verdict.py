"""make pip-audit's verdict on its JSON report: an audit that saw nothing must not pass (S6)."""

import json
import sys

report, mode = sys.argv[1], sys.argv[2]
try:
    with open(report) as file:
        deps = json.load(file)["dependencies"]
except (OSError, ValueError, KeyError):
    deps = None
if not deps:
    print(
        "pip-audit: FAILED: it produced no report (is its vulnerability service reachable?)", file=sys.stderr
    )
    sys.exit(0 if mode == "warn" else 1)
vulns = [(d["name"], d["version"], v["id"], v.get("fix_versions")) for d in deps for v in d.get("vulns", [])]
skipped = sorted(d["name"] for d in deps if d.get("skip_reason"))
for name, version, ident, fixes in vulns:
    print(
        f"pip-audit: {name} {version}: {ident} (fixed in {', '.join(fixes) or 'no release yet'})",
        file=sys.stderr,
    )
if vulns:
    sys.exit(1)
if skipped:
    print(
        f"pip-audit: {'WARNING' if mode == 'warn' else 'FAILED'}: {len(skipped)} of {len(deps)} packages could "
        f"NOT be audited (not found by the vulnerability service): {', '.join(skipped[:6])} ...",
        file=sys.stderr,
    )
    sys.exit(0 if mode == "warn" else 1)
print(f"pip-audit: {len(deps)} packages audited, no known vulnerability")
