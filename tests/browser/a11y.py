"""axe-core over a page (WCAG 2 A/AA), for the browser tests of the screens that care."""

from __future__ import annotations

import os
from pathlib import Path

AXE_CANDIDATES = [
    os.environ.get("AXE_CORE_JS", ""),
    "/tmp/axe-agency/node_modules/axe-core/axe.min.js",
    str(Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"),
]


def axe_path() -> str | None:
    return next((p for p in AXE_CANDIDATES if p and Path(p).exists()), None)


def axe_violations(page) -> list[dict]:
    """WCAG 2 A/AA violations axe-core finds on the page as it stands (skips when axe-core is not installed)."""
    import pytest

    path = axe_path()
    if path is None:
        pytest.skip("axe-core not installed (npm install axe-core; AXE_CORE_JS=path/to/axe.min.js)")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated over the DevTools protocol: the pages' Content-Security-Policy forbids inline scripts.
        page.evaluate(Path(path).read_text(encoding="utf-8") + "\n;void 0")
    result = page.evaluate(
        "async () => { const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})); }"
    )
    return result
