"""`make audit`'s dependency step: pip-audit over the installed packages, saying how many it could audit.

pip-audit lists a package it could not look up (its vulnerability service unreachable,
or the package unknown there) as skipped and still exits 0, so "No known vulnerabilities
found" alone can mean that nothing was audited. This prints the count, names the skipped
packages, and says so in a banner when nothing at all was audited. Exit status: 1 when a
known vulnerability is found or pip-audit itself failed, else 0.

Usage: python .ci/pip_audit_report.py [pip-audit options]
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    pip_audit = Path(sys.executable).with_name("pip-audit")
    proc = subprocess.run([str(pip_audit), "--progress-spinner", "off", "--format", "json", *argv], capture_output=True, text=True)
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        sys.stderr.write(proc.stderr)
        print(f"pip-audit failed (exit status {proc.returncode}); nothing was audited", file=sys.stderr)
        return proc.returncode or 1
    dependencies = report["dependencies"]
    skipped = [d for d in dependencies if "skip_reason" in d]
    vulnerable = [d for d in dependencies if d.get("vulns")]
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixed_in = ", ".join(vuln.get("fix_versions") or []) or "no fixed release"
            print(f"VULNERABLE {dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {fixed_in})")
    audited = len(dependencies) - len(skipped)
    print(f"pip-audit: {audited} of {len(dependencies)} installed packages audited, "
          f"{len(vulnerable)} with known vulnerabilities, {len(skipped)} not audited")
    if skipped and not audited:
        print(
            "\n"
            "*** NOT AUDITED: pip-audit could look up none of the installed packages, so this is no evidence\n"
            "*** that the dependencies are free of known vulnerabilities. First reason given:\n"
            f"***   {skipped[0]['skip_reason']}\n"
        )
    elif skipped:
        print("not audited: " + ", ".join(sorted(d["name"] for d in skipped)))
    if vulnerable:
        return 1
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
