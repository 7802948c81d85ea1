"""``datamarket plugin new``: generate a plugin distribution a merchant can build on.

The generated folder is a complete distribution, as the ``datasette-plugin`` template gives a
Datasette plugin author: a ``pyproject.toml`` with the ``datamarket`` entry point, one module with
the manifest and one example operation, a README, and tests written with the SDK's pytest
fixtures that pass straight after generation. The files are rendered from
``scaffold_template/`` (package data), with ``$name``-style placeholders.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path

TEMPLATE_ROOT = Path(__file__).resolve().parent / "scaffold_template"
#: A plugin name as typed: lowercase letters, digits, underscores and hyphens, a letter first.
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{1,63}$")
RESERVED_PREFIXES = ("datamarket-", "datamarket_")
#: The example operation the generated plugin offers (``plugin check`` notices it left behind).
EXAMPLE_OPERATION = "echo_upper"


class ScaffoldError(Exception):
    """The plugin cannot be generated; ``str(error)`` says why and what to do instead."""


@dataclass(frozen=True)
class PluginNames:
    """The names one plugin goes by: in the manifest, on PyPI, and as a Python package."""

    name: str
    distribution: str
    package: str
    title: str


def plugin_names(raw: str) -> PluginNames:
    """The names of the plugin called ``raw`` on the command line.

    :raises ScaffoldError: when ``raw`` cannot name a plugin, with a sentence that says why.
    """
    if raw.lower().startswith(RESERVED_PREFIXES):
        raise ScaffoldError(
            f"Leave out the 'datamarket-' prefix: 'datamarket plugin new {raw[11:] or 'NAME'}' "
            "already names the distribution datamarket-<name>."
        )
    if not NAME_PATTERN.fullmatch(raw):
        raise ScaffoldError(
            f"'{raw}' cannot name a plugin: use 2 to 64 lowercase letters, digits, underscores "
            "or hyphens, starting with a letter (for example 'company-lookup')."
        )
    if re.search(r"[-_]{2}|[-_]$", raw):
        raise ScaffoldError(
            f"'{raw}' cannot name a plugin: separate words with a single underscore or hyphen, "
            "and do not end with one (for example 'company-lookup')."
        )
    name = raw.replace("-", "_")
    return PluginNames(
        name=name,
        distribution="datamarket-" + name.replace("_", "-"),
        package="datamarket_" + name,
        title=" ".join(word.capitalize() for word in name.split("_")),
    )


def template_files() -> list[Path]:
    """Every template file, relative to the template root."""
    return sorted(p.relative_to(TEMPLATE_ROOT) for p in TEMPLATE_ROOT.rglob("*.tmpl"))


def _target_path(relative: Path, names: PluginNames) -> Path:
    parts = [names.package if part == "package" else part for part in relative.parts]
    filename = parts[-1].removesuffix(".tmpl")
    parts[-1] = "." + filename if filename == "gitignore" else filename
    return Path(*parts)


def create_plugin(raw_name: str, directory: Path | None = None, merchant: str = "") -> Path:
    """Generate the distribution of the plugin ``raw_name`` and return its folder.

    :param raw_name: the plugin's name as typed (``company-lookup`` or ``company_lookup``).
    :param directory: where to write it; ``datamarket-<name>`` in the current folder when not
        given. It must not
        exist, or be empty.
    :param merchant: the owning merchant organization's unified social credit code, already
        validated ("" leaves it for the merchant to fill in).
    :raises ScaffoldError: for a bad name or a folder that already holds files.
    """
    names = plugin_names(raw_name)
    target = Path(directory) if directory is not None else Path(names.distribution)
    if target.exists() and not target.is_dir():
        raise ScaffoldError(f"{target} is a file; choose another folder with --directory.")
    if target.is_dir() and any(target.iterdir()):
        raise ScaffoldError(
            f"{target} already exists and is not empty; choose another folder with --directory "
            "or move the existing files away first."
        )
    values = {
        "name": names.name,
        "distribution": names.distribution,
        "package": names.package,
        "title": names.title,
        "merchant": merchant,
    }
    for relative in template_files():
        text = string.Template((TEMPLATE_ROOT / relative).read_text(encoding="utf-8"))
        destination = target / _target_path(relative, names)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(text.substitute(values), encoding="utf-8")
    return target
