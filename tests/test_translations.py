"""Every UI string is in the Chinese catalog, translated and not fuzzy."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "marketplace" / "translations" / "zh_Hans" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "pgettext": ((1, "c"), 2)}


def _ui_strings() -> set[str]:
    method_map = [("marketplace/**.py", "python"), ("marketplace/**/templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _catalog():
    with CATALOG.open("rb") as fh:
        return read_po(fh, locale="zh_Hans")


def test_every_ui_string_has_a_chinese_translation():
    catalog = _catalog()
    missing = []
    for msgid in sorted(_ui_strings()):
        entry = catalog.get(msgid)
        strings = entry.string if entry else None
        translated = (
            all(strings) if isinstance(strings, tuple) else bool(strings)
        ) if entry else False
        if not translated or (entry and entry.fuzzy):
            missing.append(msgid)
    assert not missing, (
        f"{len(missing)} UI string(s) have no Chinese translation in {CATALOG.relative_to(ROOT)} "
        "(run `make extract-messages` and translate them):\n  " + "\n  ".join(missing[:40])
    )


def test_extraction_finds_the_strings_of_templates_and_code():
    strings = _ui_strings()
    assert "Log out" in strings  # base.html
    assert "Give the product a title." in strings  # catalog/content.py, lazy_gettext


def test_placeholders_survive_translation():
    catalog = _catalog()
    import re

    placeholder = re.compile(r"%\((\w+)\)[sd]")
    broken = []
    for entry in catalog:
        if not entry.id or not entry.string:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strs = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        expected = set(placeholder.findall(ids[0]))
        for text in strs:
            if set(placeholder.findall(text)) != expected:
                broken.append(ids[0])
    assert not broken, "translations that lose or add placeholders:\n  " + "\n  ".join(broken)
