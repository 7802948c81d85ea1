"""The vendored front-end assets match MANIFEST.json, and the offline check catches tampering."""

import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "vendor_assets.py"
VENDOR_DIR = REPO_ROOT / "static" / "vendor"

# flask-smorest's Swagger UI page loads these three from OPENAPI_SWAGGER_UI_URL.
SWAGGER_UI_FILES = ["swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"]


def _load_script():
    spec = importlib.util.spec_from_file_location("vendor_assets", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the class is being built.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


vendor_assets = _load_script()


@pytest.fixture
def vendor_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "vendor"
    shutil.copytree(VENDOR_DIR, copy)
    return copy


def _manifest_files(vendor_dir: Path) -> dict:
    return json.loads((vendor_dir / "MANIFEST.json").read_text(encoding="utf-8"))["files"]


def test_check_passes_on_the_committed_tree():
    assert vendor_assets.check(VENDOR_DIR) == []


def test_every_listed_file_is_recorded_with_package_version_and_matching_sha256():
    assets = json.loads((VENDOR_DIR / "assets.json").read_text(encoding="utf-8"))
    recorded = _manifest_files(VENDOR_DIR)
    listed = {f"{a['dest']}/{name}": a for a in assets for name in a["files"]}

    assert set(recorded) == set(listed)
    for relative, asset in listed.items():
        entry = recorded[relative]
        assert entry["package"] == asset["package"]
        assert entry["version"] == asset["version"]
        assert entry["integrity"].startswith("sha512-")
        actual = hashlib.sha256((VENDOR_DIR / relative).read_bytes()).hexdigest()
        assert actual == entry["sha256"], relative


def test_swagger_ui_is_vendored_with_its_licence():
    recorded = _manifest_files(VENDOR_DIR)
    for name in [*SWAGGER_UI_FILES, "LICENSE"]:
        entry = recorded[f"swagger-ui/{name}"]
        assert entry["package"] == "swagger-ui-dist"
        assert entry["version"].startswith("5.")


def test_check_names_a_tampered_file(vendor_copy: Path):
    with (vendor_copy / "swagger-ui" / "swagger-ui.css").open("a") as css:
        css.write("body { display: none }\n")

    assert vendor_assets.check(vendor_copy) == [
        "swagger-ui/swagger-ui.css does not match its sha256 in MANIFEST.json."
    ]


def test_check_names_a_missing_file(vendor_copy: Path):
    (vendor_copy / "swagger-ui" / "swagger-ui-bundle.js").unlink()

    assert vendor_assets.check(vendor_copy) == [
        f"swagger-ui/swagger-ui-bundle.js is missing from {vendor_copy}."
    ]


def test_check_names_an_unrecorded_file(vendor_copy: Path):
    (vendor_copy / "swagger-ui" / "extra.js").write_text("alert(1)\n")

    assert vendor_assets.check(vendor_copy) == [
        "swagger-ui/extra.js is not recorded in MANIFEST.json."
    ]


def test_check_names_a_version_bump_that_was_not_re_vendored(vendor_copy: Path):
    assets_path = vendor_copy / "assets.json"
    assets = json.loads(assets_path.read_text(encoding="utf-8"))
    recorded_version = assets[0]["version"]
    assets[0]["version"] = "5.0.0"
    assets_path.write_text(json.dumps(assets), encoding="utf-8")

    problems = vendor_assets.check(vendor_copy)

    assert problems
    assert all(
        f"recorded as swagger-ui-dist@{recorded_version} but assets.json asks for "
        "swagger-ui-dist@5.0.0" in p
        for p in problems
    )


def test_check_reports_a_missing_manifest(vendor_copy: Path):
    (vendor_copy / "MANIFEST.json").unlink()

    (problem,) = vendor_assets.check(vendor_copy)
    assert "MANIFEST.json is missing" in problem


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"package": "x", "version": "^1.0.0", "files": ["a.js"], "dest": "x"}, "exact version"),
        ({"package": "x", "version": "1.0.0", "files": ["../a.js"], "dest": "x"}, "without '..'"),
        ({"package": "x", "version": "1.0.0", "files": ["a.js"], "dest": "/etc"}, "without '..'"),
        ({"package": "x", "version": "1.0.0", "files": [], "dest": "x"}, "non-empty list"),
        ({"package": "x", "version": "1.0.0", "files": ["a.js"]}, "exactly the keys"),
    ],
)
def test_malformed_asset_lists_are_refused(tmp_path: Path, entry: dict, message: str):
    (tmp_path / "assets.json").write_text(json.dumps([entry]), encoding="utf-8")

    with pytest.raises(vendor_assets.VendorError, match=message):
        vendor_assets.load_assets(tmp_path)


def test_the_command_line_check_exits_1_naming_the_mismatch(vendor_copy: Path):
    (vendor_copy / "swagger-ui" / "NOTICE").write_text("changed\n")

    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check", "--vendor-dir", str(vendor_copy)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 1
    assert "swagger-ui/NOTICE does not match its sha256" in result.stderr


def test_the_command_line_check_exits_0_on_the_committed_tree():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr
    assert "vendored files match MANIFEST.json" in result.stdout
