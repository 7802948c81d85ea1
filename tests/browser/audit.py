"""What every page of a journey must pass, checked in the real browser: it fits the window
(no sideways scrolling), axe-core finds no WCAG 2.1 level A or AA violation, and a screenshot
is kept in the test output folder.

axe-core is vendored in ``static/vendor/axe-core`` (scripts/vendor_assets.py records its npm
package and version). It is evaluated through the browser's debugging protocol, which the
page's Content-Security-Policy does not govern, so the pages are audited exactly as served.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AXE_SOURCE = ROOT / "static" / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-results" / "journeys"

#: Window widths every page must fit: a laptop and a phone.
WIDTHS = (1280, 390)
#: The WCAG rules axe-core checks: levels A and AA of WCAG 2.0 and 2.1.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

_RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                          resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    rule: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ") + " — " +
                                           (n.failureSummary || "").split("\\n")[1]),
  }));
}"""


@dataclass
class Findings:
    """What the pages of one journey got wrong, each line naming the page and width."""

    problems: list[str] = field(default_factory=list)
    pages: int = 0

    def report(self) -> str:
        return f"{len(self.problems)} problem(s) on {self.pages} page view(s):\n" + \
            "\n".join(self.problems)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "home"


def audit_page(page, name: str, findings: Findings) -> None:
    """Check the page now shown in ``page`` at every width; record what fails in ``findings``
    and keep a screenshot per width as ``<name>-<width>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        findings.pages += 1
        where = f"{page.url.split('//', 1)[-1].split('/', 1)[-1] or '/'} at {width} px"
        extra = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if extra > 0:
            findings.problems.append(f"/{where}: {extra} px wider than the window")
        if not page.evaluate("typeof window.axe === 'object'"):
            page.evaluate(AXE_SOURCE.read_text(encoding="utf-8"))
        for violation in page.evaluate(_RUN_AXE, WCAG_TAGS):
            findings.problems.append(
                f"/{where}: {violation['rule']} ({violation['impact']}): {violation['help']}\n"
                + "".join(f"      {node}\n" for node in violation["nodes"]))
        page.screenshot(path=str(SCREENSHOTS / f"{_slug(name)}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
