"""Vendor front-end assets from npm into static/vendor, and check them offline.

The platform never loads anything from a CDN: every third-party file it serves lives in
``static/vendor/``. ``static/vendor/assets.json`` says what to vendor, as a list of::

    {"package": "swagger-ui-dist", "version": "5.35.0",
     "files": ["swagger-ui-bundle.js", "LICENSE"], "dest": "swagger-ui"}

``python scripts/vendor_assets.py`` fetches each package with ``npm pack PACKAGE@VERSION``,
copies only the listed files (keeping their paths inside the package) into
``static/vendor/<dest>/`` and writes ``static/vendor/MANIFEST.json``, which records for every
vendored file its npm package, version, the tarball's integrity and the file's sha256.

``python scripts/vendor_assets.py --check`` needs no network: it verifies the files on disk
against MANIFEST.json and ``assets.json`` and exits 1, naming each problem, if they disagree.

Standard library only, so it runs before any dependency is installed.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

REPO_ROOT = Path(__file__).resolve().parents[1]
VENDOR_DIR = Path("static") / "vendor"
ASSETS_FILE = "assets.json"
MANIFEST_FILE = "MANIFEST.json"

# Exact versions only: a range would make the vendored files depend on the day they were fetched.
_EXACT_VERSION = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$")
# npm tarballs keep every file of the package under this folder.
_TARBALL_PREFIX = "package/"


class VendorError(Exception):
    """The asset list is malformed or a package could not be fetched as listed."""


@dataclass(frozen=True)
class Asset:
    """One npm package to vendor: which exact version, which of its files, and where to."""

    package: str
    version: str
    files: tuple[str, ...]
    dest: str

    @property
    def spec(self) -> str:
        return f"{self.package}@{self.version}"


def _safe_relative_path(value: object, what: str) -> str:
    """Return ``value`` if it is a relative POSIX path that stays inside its base folder."""
    if not isinstance(value, str) or not value:
        raise VendorError(f"{what} must be a non-empty string, got {value!r}.")
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts or "\\" in value:
        raise VendorError(f"{what} {value!r} must be a relative path without '..'.")
    return path.as_posix()


def load_assets(vendor_dir: Path) -> list[Asset]:
    """Read and validate ``assets.json`` in ``vendor_dir``."""
    assets_path = vendor_dir / ASSETS_FILE
    try:
        raw = json.loads(assets_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise VendorError(
            f"{assets_path} does not exist: list the assets to vendor there."
        ) from exc
    except json.JSONDecodeError as exc:
        raise VendorError(f"{assets_path} is not valid JSON: {exc}.") from exc
    if not isinstance(raw, list):
        raise VendorError(f"{assets_path} must hold a JSON list of assets.")

    assets = []
    for index, entry in enumerate(raw):
        where = f"{ASSETS_FILE} entry {index}"
        if not isinstance(entry, dict) or set(entry) != {"package", "version", "files", "dest"}:
            raise VendorError(
                f"{where} must be an object with exactly the keys package, version, files, dest."
            )
        package, version, files = entry["package"], entry["version"], entry["files"]
        if not isinstance(package, str) or not package:
            raise VendorError(f"{where}: package must be an npm package name.")
        if not isinstance(version, str) or not _EXACT_VERSION.match(version):
            raise VendorError(f"{where}: version {version!r} must be an exact version like 1.2.3.")
        if not isinstance(files, list) or not files:
            raise VendorError(f"{where}: files must be a non-empty list of paths in the package.")
        assets.append(
            Asset(
                package=package,
                version=version,
                files=tuple(_safe_relative_path(f, f"{where}: file") for f in files),
                dest=_safe_relative_path(entry["dest"], f"{where}: dest"),
            )
        )

    targets = [f"{a.dest}/{f}" for a in assets for f in a.files]
    duplicates = sorted({t for t in targets if targets.count(t) > 1})
    if duplicates:
        raise VendorError(f"{ASSETS_FILE} writes these files twice: {', '.join(duplicates)}.")
    return assets


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of the file at ``path``."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _verify_integrity(tarball: Path, integrity: str, spec: str) -> None:
    """Check the tarball against its Subresource-Integrity string (e.g. ``sha512-...``)."""
    algorithm, _, expected = integrity.partition("-")
    if algorithm not in {"sha512", "sha384", "sha256", "sha1"} or not expected:
        raise VendorError(f"npm reported an integrity {integrity!r} for {spec} that is not SRI.")
    actual = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode()
    if actual != expected:
        raise VendorError(f"The tarball of {spec} does not match its integrity {integrity}.")


def npm_pack(asset: Asset, workdir: Path) -> tuple[Path, str]:
    """Fetch ``asset`` with ``npm pack`` into ``workdir``; return the tarball and its integrity."""
    npm = shutil.which("npm")
    if npm is None:
        raise VendorError("npm is not on PATH: install Node.js and npm to re-vendor assets.")
    result = subprocess.run(
        [npm, "pack", asset.spec, "--json", "--ignore-scripts", "--pack-destination", str(workdir)],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise VendorError(f"npm pack {asset.spec} failed:\n{result.stderr.strip()}")
    (info,) = json.loads(result.stdout)
    if info["name"] != asset.package or info["version"] != asset.version:
        raise VendorError(
            f"npm pack {asset.spec} returned {info['name']}@{info['version']} instead."
        )
    tarball = workdir / info["filename"]
    _verify_integrity(tarball, info["integrity"], asset.spec)
    return tarball, info["integrity"]


def _extract(asset: Asset, tarball: Path, vendor_dir: Path) -> list[str]:
    """Copy the listed files out of ``tarball``; return their paths relative to ``vendor_dir``."""
    written = []
    with tarfile.open(tarball, "r:gz") as archive:
        members = {m.name: m for m in archive.getmembers() if m.isfile()}
        for name in asset.files:
            member = members.get(_TARBALL_PREFIX + name)
            if member is None:
                raise VendorError(f"{asset.spec} has no file {name!r}; check {ASSETS_FILE}.")
            stream = archive.extractfile(member)
            assert stream is not None  # isfile() members always have a stream
            relative = f"{asset.dest}/{name}"
            target = vendor_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(stream.read())
            written.append(relative)
    return written


def _read_manifest(vendor_dir: Path) -> dict:
    path = vendor_dir / MANIFEST_FILE
    if not path.exists():
        return {"files": {}}
    return json.loads(path.read_text(encoding="utf-8"))


def vendor(vendor_dir: Path) -> dict:
    """Fetch every asset listed in ``assets.json`` and write MANIFEST.json; return the manifest.

    Files that an earlier run vendored but that are no longer listed are deleted.
    """
    assets = load_assets(vendor_dir)
    previous = set(_read_manifest(vendor_dir).get("files", {}))
    files: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory(prefix="vendor-assets-") as tmp:
        for asset in assets:
            workdir = Path(tmp) / f"{len(files)}"
            workdir.mkdir()
            tarball, integrity = npm_pack(asset, workdir)
            for relative in _extract(asset, tarball, vendor_dir):
                files[relative] = {
                    "package": asset.package,
                    "version": asset.version,
                    "integrity": integrity,
                    "sha256": sha256_of(vendor_dir / relative),
                }
    for stale in sorted(previous - set(files)):
        (vendor_dir / stale).unlink(missing_ok=True)

    manifest = {
        "generated_by": "scripts/vendor_assets.py from static/vendor/assets.json; do not edit",
        "files": dict(sorted(files.items())),
    }
    (vendor_dir / MANIFEST_FILE).write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return manifest


def check(vendor_dir: Path) -> list[str]:
    """Verify the vendored files offline; return one sentence per problem (empty when all is well).

    Checks that every file listed in ``assets.json`` is recorded in MANIFEST.json with the same
    package and version, that every recorded file exists with its recorded sha256, and that no
    unrecorded file sits in a vendored folder.
    """
    problems: list[str] = []
    try:
        assets = load_assets(vendor_dir)
    except VendorError as exc:
        return [str(exc)]
    manifest_path = vendor_dir / MANIFEST_FILE
    if not manifest_path.exists():
        return [f"{manifest_path} is missing: run scripts/vendor_assets.py to create it."]
    try:
        recorded: dict[str, dict] = json.loads(manifest_path.read_text(encoding="utf-8"))["files"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        return [f"{manifest_path} is unreadable ({exc}): run scripts/vendor_assets.py again."]

    for asset in assets:
        for name in asset.files:
            relative = f"{asset.dest}/{name}"
            entry = recorded.get(relative)
            if entry is None:
                problems.append(
                    f"{relative} is listed in {ASSETS_FILE} but not in {MANIFEST_FILE}."
                )
            elif (entry.get("package"), entry.get("version")) != (asset.package, asset.version):
                problems.append(
                    f"{relative} is recorded as {entry.get('package')}@{entry.get('version')} "
                    f"but {ASSETS_FILE} asks for {asset.spec}."
                )

    for relative, entry in recorded.items():
        try:
            path = vendor_dir / _safe_relative_path(relative, f"{MANIFEST_FILE} file")
        except VendorError as exc:
            problems.append(str(exc))
            continue
        missing_keys = {"package", "version", "integrity", "sha256"} - set(entry)
        if missing_keys:
            problems.append(
                f"{relative} lacks {', '.join(sorted(missing_keys))} in {MANIFEST_FILE}."
            )
        if not path.is_file():
            problems.append(f"{relative} is missing from {vendor_dir}.")
        elif sha256_of(path) != entry.get("sha256"):
            problems.append(f"{relative} does not match its sha256 in {MANIFEST_FILE}.")

    for dest in sorted({asset.dest for asset in assets}):
        folder = vendor_dir / dest
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            relative = path.relative_to(vendor_dir).as_posix()
            if relative not in recorded:
                problems.append(f"{relative} is not recorded in {MANIFEST_FILE}.")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="verify vendored files against MANIFEST.json without network; exit 1 on a mismatch",
    )
    parser.add_argument(
        "--vendor-dir",
        type=Path,
        default=REPO_ROOT / VENDOR_DIR,
        help="folder holding assets.json (default: static/vendor in this repository)",
    )
    args = parser.parse_args(argv)

    if args.check:
        problems = check(args.vendor_dir)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            return 1
        count = len(_read_manifest(args.vendor_dir)["files"])
        print(f"{count} vendored files match {MANIFEST_FILE}.")
        return 0

    try:
        manifest = vendor(args.vendor_dir)
    except VendorError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"Vendored {len(manifest['files'])} files into {args.vendor_dir}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
