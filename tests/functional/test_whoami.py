"""Where a plugin author finds the merchant credit code: ``datamarket whoami``, ``plugin new
--merchant-email``, ``plugin check`` asking the platform about the manifest's merchant, and the
merchant dashboard's copyable ``plugin new`` line.

The commands read the platform's database as an author's shell would find it (``DATABASE_URL``
in the environment), never through the app.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner

from marketplace.accounts.commands import platform_database_url
from marketplace.accounts.models import OrganizationStatus, Role
from marketplace.cli import main as datamarket
from tests.factories import logged_in_client, make_organization, make_user


@pytest.fixture
def cli(database_url, monkeypatch, tmp_path):
    """``datamarket ARGS`` run in a shell whose DATABASE_URL is the platform's."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)

    def run(*args: str):
        return CliRunner().invoke(datamarket, list(args), catch_exceptions=False)

    return run


@pytest.fixture
def merchant(db):
    org = make_organization(db, name="Fuzhou Open Data Co., Ltd.")
    return make_user(db, Role.MERCHANT, organization=org), org


def test_whoami_prints_the_organization_its_verification_code_and_plugin_new_line(
        cli, merchant):
    user, org = merchant
    result = cli("whoami", "--email", user.email)

    assert result.exit_code == 0, result.output
    assert "Merchant organization: Fuzhou Open Data Co., Ltd." in result.output
    assert f"unified social credit code: {org.credit_code}" in result.output
    assert "verification: verified" in result.output
    assert f"  datamarket plugin new NAME --merchant {org.credit_code}" in result.output


def test_whoami_of_a_buyer_and_of_nobody(cli, db):
    buyer = make_user(db)
    assert "Not a member of a merchant organization" in cli("whoami", "--email",
                                                          buyer.email).output
    unknown = cli("whoami", "--email", "nobody@example.com")
    assert unknown.exit_code == 1
    assert "Nobody on this platform signs in as nobody@example.com" in unknown.output


def test_whoami_without_a_platform_database_says_how_to_name_one(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DATAMARKET_INSTANCE_PATH", str(tmp_path / "instance"))
    result = CliRunner().invoke(datamarket, ["whoami", "--email", "a@example.com"])
    assert result.exit_code == 1
    assert "set DATABASE_URL" in result.output
    assert not (tmp_path / "instance").exists()  # looked for, never created


def test_a_database_without_the_platforms_tables_is_a_clear_error(monkeypatch, tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{empty}")
    result = CliRunner().invoke(datamarket, ["whoami", "--email", "a@example.com"])
    assert result.exit_code == 1
    assert "The platform database cannot be read (OperationalError)" in result.output
    assert "datamarket db upgrade" in result.output


def test_the_default_database_is_the_instance_folders_file_when_it_exists(tmp_path):
    env = {"DATAMARKET_INSTANCE_PATH": str(tmp_path)}
    assert platform_database_url(env) is None
    (tmp_path / "datamarket.db").touch()
    assert platform_database_url(env) == f"sqlite:///{tmp_path / 'datamarket.db'}"
    assert platform_database_url({**env, "DATABASE_URL": "postgresql://x/y"}) == \
        "postgresql://x/y"


def test_plugin_new_reads_the_code_from_the_merchants_email(cli, merchant):
    user, org = merchant
    result = cli("plugin", "new", "plate-check", "--merchant-email", user.email)

    assert result.exit_code == 0, result.output
    module = Path("datamarket-plate-check/datamarket_plate_check/__init__.py").read_text()
    assert f'MERCHANT = "{org.credit_code}"' in module


@pytest.mark.parametrize(("who", "says"), [
    ("buyer", "is not a member of a merchant organization"),
    ("pending", "is not verified yet"),
    ("nobody", "Nobody on this platform signs in as"),
])
def test_plugin_new_refuses_an_email_without_a_verified_merchant(cli, db, who, says):
    if who == "buyer":
        email = make_user(db).email
    elif who == "pending":
        org = make_organization(db, verified=False)
        email = make_user(db, Role.MERCHANT, organization=org).email
    else:
        email = "nobody@example.com"
    result = cli("plugin", "new", "plate-check", "--merchant-email", email)

    assert result.exit_code == 1
    assert says in result.output
    assert not Path("datamarket-plate-check").exists()


def test_plugin_new_takes_a_code_or_an_email_not_both(cli, merchant):
    user, org = merchant
    result = cli("plugin", "new", "x-check", "--merchant", org.credit_code,
                 "--merchant-email", user.email)
    assert result.exit_code == 2 and "not both" in result.output


def _merchant_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if "merchant" in line and line[:1] in "✓!✗"]


def test_plugin_check_asks_the_platform_about_the_manifests_merchant(cli, db, merchant):
    user, org = merchant
    assert cli("plugin", "new", "mine", "--merchant", org.credit_code).exit_code == 0
    verified = cli("plugin", "check", "datamarket-mine", "--skip-tests")
    assert f"✓ merchant {org.credit_code} is Fuzhou Open Data Co., Ltd., a verified merchant " \
        "on this platform" in verified.output
    assert verified.exit_code == 0

    org.status = OrganizationStatus.PENDING
    db.add(org)
    db.commit()
    pending = cli("plugin", "check", "datamarket-mine", "--skip-tests")
    assert f"! merchant {org.credit_code} is Fuzhou Open Data Co., Ltd., not verified yet " \
        "on this platform" in pending.output
    assert pending.exit_code == 0  # advice, not a failure

    # The guide's example code, copied: no organization here has it.
    assert cli("plugin", "new", "copied", "--merchant", "91350100M000100Y43").exit_code == 0
    copied = cli("plugin", "check", "datamarket-copied", "--skip-tests")
    assert _merchant_lines(copied.output)[-1] == (
        "! no merchant organization on this platform has the credit code 91350100M000100Y43, "
        "so the plugin's operations will appear in no merchant's listing editor — set MERCHANT "
        "(in the package's __init__.py) to your organization's code: 'datamarket whoami "
        "--email EMAIL' prints it")


def test_plugin_check_without_a_platform_does_not_ask(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DATAMARKET_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    runner.invoke(datamarket, ["plugin", "new", "mine", "--merchant", "91350100M000100Y43"])
    result = runner.invoke(datamarket, ["plugin", "check", "datamarket-mine", "--skip-tests"])
    assert result.exit_code == 0, result.output
    assert _merchant_lines(result.output) == [
        "✓ manifest merchant 91350100M000100Y43 is a valid credit code"]


def test_the_dashboard_shows_the_code_beside_a_copyable_plugin_new_command(app, merchant):
    user, org = merchant
    page = logged_in_client(app, user).get("/merchant").get_data(as_text=True)

    command = re.search(r'<input[^>]*data-testid="plugin-new-command"[^>]*>', page)
    assert command, "no plugin new command on the dashboard"
    assert f'value="datamarket plugin new NAME --merchant {org.credit_code}"' in command.group(0)
    assert "readonly" in command.group(0)
    assert 'data-copy="plugin-new-command"' in page  # the copy button, enabled by copy.js
    assert "js/copy.js" in page
    assert "datamarket whoami" in unescape(page)
