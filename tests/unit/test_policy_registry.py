"""The policy's mechanism: domains register rules, the policy knows no domain, and an action
nobody registered is a clear error rather than a silent refusal or grant."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from marketplace import policy
from marketplace import rules as domain_rules

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_PACKAGES = {"accounts", "admin", "audit", "catalog", "commerce", "notifications",
                   "plugins", "reviews", "search", "storefront", "demo"}


@pytest.fixture
def registry(monkeypatch):
    """A copy of the registry, so a test's rules do not outlive it."""
    rules = dict(policy.RULES)
    monkeypatch.setattr(policy, "RULES", rules)
    return rules


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_policy_imports_no_domain():
    domains = {module for module in _imported_modules(ROOT / "marketplace" / "policy.py")
               if module.startswith("marketplace.")
               and module.split(".")[1] in DOMAIN_PACKAGES}
    assert not domains, f"marketplace/policy.py must not import domain modules: {sorted(domains)}"


def test_every_rules_module_is_listed_once():
    on_disk = {f"marketplace.{path.parent.name}.rules"
               for path in (ROOT / "marketplace").glob("*/rules.py")}
    listed = [module.__name__ for module in domain_rules.DOMAINS]
    assert len(listed) == len(set(listed))
    assert set(listed) == on_disk, (
        "marketplace/rules.py must list every domain's rules module, and only those")


def test_an_unregistered_action_is_a_clear_error(registry):
    with pytest.raises(policy.UnknownAction) as caught:
        policy.can(None, "listing.delete_everything")
    message = str(caught.value)
    assert "'listing.delete_everything'" in message and "marketplace/rules.py" in message
    assert isinstance(caught.value, KeyError)


def test_rule_decorator_registers_every_action(registry):
    @policy.rule("test.read", "test.write")
    def anyone_named_ada(actor, _resource=None):
        return actor is not None and actor.name == "Ada"

    class Actor:
        is_active = True
        name = "Ada"

    assert policy.can(Actor(), "test.read") and policy.can(Actor(), "test.write")
    assert not policy.can(None, "test.read")
    assert policy.rule_for("test.write") is anyone_named_ada


def test_inactive_actor_is_refused_before_the_rule_runs(registry):
    policy.register("test.anything", lambda actor, resource: True)

    class Former:
        is_active = False

    assert policy.can(None, "test.anything")
    assert not policy.can(Former(), "test.anything")


def test_a_second_rule_for_one_action_is_refused(registry):
    def first(actor, resource):
        return True

    def second(actor, resource):
        return False

    policy.register("test.once", first)
    policy.register("test.once", first)  # the same rule again (a module imported twice): fine
    with pytest.raises(policy.DuplicateRule, match="'test.once' is already decided by"):
        policy.register("test.once", second)
    assert policy.rule_for("test.once") is first


def test_rule_needs_an_action():
    with pytest.raises(TypeError, match="at least one action"):
        policy.rule()


def test_existing_action_cannot_be_taken_over(registry):
    with pytest.raises(policy.DuplicateRule):
        policy.register("listing.edit", lambda actor, resource: True)


def test_two_lambdas_of_one_module_are_different_rules(registry):
    policy.register("test.lambda", lambda actor, resource: True)
    with pytest.raises(policy.DuplicateRule):
        policy.register("test.lambda", lambda actor, resource: False)
