"""The hook specifications, checked by a real pluggy PluginManager as the platform uses it."""

import inspect
import re

import pluggy
import pytest
from pydantic import BaseModel

from datamarket_sdk import (
    PROJECT_NAME,
    EntitlementEvent,
    Finding,
    GovernanceStep,
    ListingSnapshot,
    Manifest,
    ModelCard,
    ModelSpec,
    Operation,
    OrderPaid,
    Scope,
    hookimpl,
    hookspecs,
)

CONTRACT = {
    "datamarket_plugin_manifest": [],
    "datamarket_operations": [],
    "datamarket_governance_steps": [],
    "datamarket_models": [],
    "datamarket_order_paid": ["event"],
    "datamarket_entitlement_granted": ["event"],
    "datamarket_entitlement_revoked": ["event"],
    "datamarket_listing_submitted": ["listing"],
}
SPECS = {name: obj for name, obj in vars(hookspecs).items()
         if inspect.isfunction(obj) and hasattr(obj, f"{PROJECT_NAME}_spec")}
MANIFEST = Manifest(name="example", version="1.2.3", merchant="", sdk=">=0.1,<0.2")


class Text(BaseModel):
    text: str


OPERATION = Operation(name="echo", summary="Echo a text.", input_model=Text, output_model=Text,
                      handler=lambda ctx, request: request)
STEP = GovernanceStep(kind="detector", name="shouting", summary="Finds capitals.",
                      function=str.isupper)
MODEL = ModelSpec(name="length", summary="Predicts nothing.", input_model=Text, output_model=Text,
                  predict=lambda ctx, rows: rows,
                  card=ModelCard(training_data="none", metrics={}, version="1",
                                 intended_use="tests", limitations="all"))
SCOPE = Scope(operations=frozenset({"echo"}))


class EveryHookPlugin:
    """Implements every hook, recording the events it receives."""

    def __init__(self) -> None:
        self.received: list[object] = []

    @hookimpl
    def datamarket_plugin_manifest(self) -> Manifest:
        return MANIFEST

    @hookimpl
    def datamarket_operations(self) -> list[Operation]:
        return [OPERATION]

    @hookimpl
    def datamarket_governance_steps(self) -> list[GovernanceStep]:
        return [STEP]

    @hookimpl
    def datamarket_models(self) -> list[ModelSpec]:
        return [MODEL]

    @hookimpl
    def datamarket_order_paid(self, event: OrderPaid) -> None:
        self.received.append(event)

    @hookimpl
    def datamarket_entitlement_granted(self, event: EntitlementEvent) -> None:
        self.received.append(("granted", event))

    @hookimpl
    def datamarket_entitlement_revoked(self, event: EntitlementEvent) -> None:
        self.received.append(("revoked", event))

    @hookimpl
    def datamarket_listing_submitted(self, listing: ListingSnapshot) -> list[Finding]:
        if any("phone" in row for row in listing.sample_rows):
            return [Finding(code="pii.phone", message="Mask the phone column.",
                            severity="blocking", field="phone")]
        return []


def make_plugin_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    return manager


def test_the_module_declares_exactly_the_contracts_hooks():
    assert sorted(SPECS) == sorted(CONTRACT)
    for name, arguments in CONTRACT.items():
        assert list(inspect.signature(SPECS[name]).parameters) == arguments, name


def test_no_hook_combines_historic_with_firstresult():
    for name, spec in SPECS.items():
        options = getattr(spec, f"{PROJECT_NAME}_spec")
        assert not (options["historic"] and options["firstresult"]), name


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_every_hookspec_is_typed(name):
    annotations = inspect.get_annotations(SPECS[name])
    assert "return" in annotations
    assert set(CONTRACT[name]) <= set(annotations)


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_every_hookspec_docstring_has_the_one_shape(name):
    spec = SPECS[name]
    doc = inspect.getdoc(spec)
    lines = doc.splitlines()
    summary = lines[0]

    assert summary.endswith(".") and summary[0].isupper(), "a one-line summary first"
    assert len(lines) == 1 or lines[1] == "", "the summary is one line, then a blank line"
    for argument in CONTRACT[name]:
        assert re.search(rf"^:param {argument}: \S", doc, re.MULTILINE), f":param {argument}:"
    assert len(re.findall(r"^:param ", doc, re.MULTILINE)) == len(CONTRACT[name])
    assert re.search(r"^:return: \S", doc, re.MULTILINE), "what the return value means"
    assert lines[-1] == ".. versionadded:: 0.1"
    firstresult = getattr(spec, f"{PROJECT_NAME}_spec")["firstresult"]
    assert ("Stops at first non-None result" in doc) == firstresult


def test_a_plugin_implementing_every_hook_registers_and_is_called():
    plugin = EveryHookPlugin()
    manager = make_plugin_manager()
    manager.register(plugin, name="every")
    manager.check_pending()
    hook = manager.hook

    assert hook.datamarket_plugin_manifest() == [MANIFEST]
    assert hook.datamarket_operations() == [[OPERATION]]
    assert hook.datamarket_governance_steps() == [[STEP]]
    assert hook.datamarket_models() == [[MODEL]]

    paid = OrderPaid(order_id=1, buyer="b-1", product_id=2, plan="basic", amount=990,
                     currency="CNY")
    entitlement = EntitlementEvent(entitlement_id=3, buyer="b-1", product_id=2, scope=SCOPE)
    assert hook.datamarket_order_paid(event=paid) == []
    hook.datamarket_entitlement_granted(event=entitlement)
    hook.datamarket_entitlement_revoked(event=entitlement)
    assert plugin.received == [paid, ("granted", entitlement), ("revoked", entitlement)]

    listing = ListingSnapshot(listing_id=4, product_id=2, title="Phones", product_type="dataset",
                              classification_level=3, data_dictionary=[{"name": "phone"}],
                              sample_rows=[{"phone": "13800138000"}])
    ((finding,),) = hook.datamarket_listing_submitted(listing=listing)
    assert finding.severity == "blocking" and finding.field == "phone"


def test_the_registration_hooks_can_be_called_per_plugin():
    class Other:
        @hookimpl
        def datamarket_plugin_manifest(self) -> Manifest:
            return Manifest(name="other", version="1", merchant="", sdk=">=0.1")

    manager = make_plugin_manager()
    manager.register(EveryHookPlugin(), name="every")
    manager.register(Other(), name="other")

    by_plugin = {impl.plugin_name: impl.function()
                 for impl in manager.hook.datamarket_plugin_manifest.get_hookimpls()}
    assert {name: manifest.name for name, manifest in by_plugin.items()} == {
        "every": "example", "other": "other"}


def test_an_implementation_may_take_fewer_arguments_than_the_hook():
    class Quiet:
        calls = 0

        @hookimpl
        def datamarket_listing_submitted(self) -> None:
            Quiet.calls += 1

    manager = make_plugin_manager()
    manager.register(Quiet(), name="quiet")
    manager.check_pending()

    listing = ListingSnapshot(listing_id=1, product_id=1, title="t", product_type="api",
                              classification_level=1, data_dictionary=[], sample_rows=[])
    assert manager.hook.datamarket_listing_submitted(listing=listing) == []
    assert Quiet.calls == 1


def test_an_implementation_with_a_wrong_argument_name_is_rejected():
    class WrongArgument:
        @hookimpl
        def datamarket_order_paid(self, order: OrderPaid) -> None:
            """Asks for ``order``; the hook passes ``event``."""

    manager = make_plugin_manager()
    with pytest.raises(pluggy.PluginValidationError, match="order"):
        manager.register(WrongArgument(), name="wrong")


def test_a_misspelt_hook_fails_check_pending():
    class Misspelt:
        @hookimpl
        def datamarket_plugin_manifest(self) -> Manifest:
            return MANIFEST

        @hookimpl
        def datamarket_operation(self) -> list[Operation]:
            return [OPERATION]

    manager = make_plugin_manager()
    manager.register(Misspelt(), name="misspelt")
    with pytest.raises(pluggy.PluginValidationError, match="datamarket_operation"):
        manager.check_pending()
