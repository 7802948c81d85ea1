"""Plugin operations as the catalog sees them.

Which operations a merchant may attach to a listing (its own organization's, matched by the
plugin manifest's unified social credit code, and the platform's own), what a listing's attached
operation looks like to buyers (its schemas as readable rows), and running one from the
merchant's try-it console. Plugins stay behind the runtime (:mod:`marketplace.plugins`): this
module reads :class:`~marketplace.plugins.runtime.OperationInfo` values from it and calls
:meth:`~marketplace.plugins.runtime.PluginRuntime.invoke`, nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from marketplace.accounts.models import MerchantOrganization
from marketplace.catalog.models import Listing
from marketplace.catalog.schemas_shown import SchemaProperty, pretty_json, schema_rows
from marketplace.errors import ValidationFailed
from marketplace.plugins import get_runtime
from marketplace.plugins.errors import OperationNotFound
from marketplace.plugins.runtime import ModelInfo, OperationInfo

#: Joins a plugin and an operation name in form values: neither name can contain it.
REF_SEPARATOR = "."


def operation_ref(plugin: str, name: str) -> str:
    """How a form names an operation: ``"plugin.operation"``."""
    return f"{plugin}{REF_SEPARATOR}{name}"


def parse_operation_ref(ref: str | None) -> tuple[str, str] | None:
    """``("plugin", "operation")`` from a form value; None for an empty value.

    :raises ValueError: for a value that does not name an operation.
    """
    ref = (ref or "").strip()
    if not ref:
        return None
    plugin, separator, name = ref.partition(REF_SEPARATOR)
    if not (separator and plugin and name) or REF_SEPARATOR in name:
        raise ValueError(ref)
    return plugin, name


# ---------------------------------------------------------------------------- who owns what


@dataclass(frozen=True)
class OperationOwner:
    """An operation as the policy sees it (``operation.try``): who owns its plugin.

    ``merchant`` is the plugin manifest's credit code (``""`` for the platform's own plugins);
    ``organization_id`` is the registered organization with that code, if there is one.
    """

    plugin: str
    operation: str
    merchant: str
    organization_id: int | None

    @property
    def is_platform(self) -> bool:
        return self.merchant == ""


def owner_of(session: Session, info: OperationInfo) -> OperationOwner:
    """Who owns ``info``'s plugin, for the policy."""
    organization_id = None
    if info.merchant:
        organization_id = session.exec(
            select(MerchantOrganization.id).where(MerchantOrganization.credit_code == info.merchant)
        ).first()
    return OperationOwner(info.plugin, info.name, info.merchant, organization_id)


def belongs_to(info: OperationInfo, organization: MerchantOrganization) -> bool:
    return info.merchant == "" or info.merchant == organization.credit_code


def attachable_operations(organization: MerchantOrganization) -> list[OperationInfo]:
    """Operations of enabled plugins that ``organization`` may attach to its listings: its own
    (manifest merchant = its credit code) first, then the platform's, by plugin and name."""
    found = [info for info in get_runtime().operations() if belongs_to(info, organization)]
    return sorted(found, key=lambda info: (info.merchant == "", info.plugin, info.name))


def check_attachable(organization: MerchantOrganization, plugin: str,
                     name: str) -> OperationInfo:
    """The operation ``plugin.name`` if ``organization`` may attach it to a listing now.

    :raises ValidationFailed: under ``operation``, saying why not: no enabled plugin offers it,
        or it belongs to another merchant's plugin.
    """
    try:
        info = get_runtime().operation(plugin, name)
    except OperationNotFound:
        raise ValidationFailed({"operation": [str(_l(
            "The operation “%(operation)s” of plugin “%(plugin)s” is not available: the plugin "
            "is not installed, failed to load or is disabled. Choose another operation, or "
            "none.", operation=name, plugin=plugin))]}) from None
    if not belongs_to(info, organization):
        raise ValidationFailed({"operation": [str(_l(
            "The operation “%(operation)s” belongs to another merchant's plugin “%(plugin)s”. "
            "You can attach your own organization's operations and the platform's.",
            operation=name, plugin=plugin))]})
    return info


def validate_operation_ref(organization: MerchantOrganization,
                           ref: str | None) -> dict[str, str | None]:
    """The ``plugin_name`` and ``operation_name`` of a listing, from the editor's value.

    :raises ValidationFailed: under ``operation``, for a value that names no operation the
        organization may attach.
    """
    try:
        parsed = parse_operation_ref(ref)
    except ValueError:
        raise ValidationFailed(
            {"operation": [str(_l("Choose a plugin operation from the list, or none."))]}
        ) from None
    if parsed is None:
        return {"plugin_name": None, "operation_name": None}
    info = check_attachable(organization, *parsed)
    return {"plugin_name": info.plugin, "operation_name": info.name}


def validate_operation_refs(organization: MerchantOrganization,
                            refs: list[str | None]) -> list[tuple[str, str]]:
    """The ``(plugin, operation)`` pairs a listing sells, from the editor's values (empty values
    skipped, duplicates dropped, order kept).

    :raises ValidationFailed: under ``operation``, for values that name no operation the
        organization may attach.
    """
    pairs: list[tuple[str, str]] = []
    for ref in refs:
        clean = validate_operation_ref(organization, ref)
        if clean["plugin_name"] and clean["operation_name"]:
            pairs.append((clean["plugin_name"], clean["operation_name"]))
    return list(dict.fromkeys(pairs))


# ---------------------------------------------------------------------------- a listing's operation


@dataclass(frozen=True)
class AttachedOperation:
    """A listing's operation as its pages show it. ``info`` is None while no enabled plugin
    offers it (disabled, failed, uninstalled): the page then says it is unavailable."""

    plugin: str
    name: str
    info: OperationInfo | None

    @property
    def ref(self) -> str:
        return operation_ref(self.plugin, self.name)

    @property
    def available(self) -> bool:
        return self.info is not None

    @property
    def input_rows(self) -> list[SchemaProperty]:
        return schema_rows(self.info.input_schema) if self.info else []

    @property
    def output_rows(self) -> list[SchemaProperty]:
        return schema_rows(self.info.output_schema) if self.info else []

    @property
    def input_json(self) -> str:
        return pretty_json(self.info.input_schema) if self.info else ""

    @property
    def output_json(self) -> str:
        return pretty_json(self.info.output_schema) if self.info else ""

    def document(self) -> dict[str, Any]:
        """The operation as the JSON API presents it."""
        info = self.info
        return {
            "plugin": self.plugin,
            "name": self.name,
            "summary": info.summary if info else "",
            "description": info.description if info else "",
            "available": info is not None,
            "input_schema": info.input_schema if info else None,
            "output_schema": info.output_schema if info else None,
        }


def attached_operations(listings: Iterable[Listing]) -> dict[int, AttachedOperation]:
    """The attached operation of each listing that has one, by listing id, in one read of the
    plugins' records however many listings there are."""
    listings = [listing for listing in listings if listing.plugin_name and listing.operation_name]
    if not listings:
        return {}
    infos = get_runtime().operations_by_ref(
        (listing.plugin_name, listing.operation_name) for listing in listings)
    return {listing.id: AttachedOperation(listing.plugin_name, listing.operation_name,
                                          infos[(listing.plugin_name, listing.operation_name)])
            for listing in listings}


def attached_operation(listing: Listing) -> AttachedOperation | None:
    """The operation ``listing`` sells, if it has one."""
    return attached_operations([listing]).get(listing.id)


def model_cards(listing: Listing) -> list[ModelInfo]:
    """The model cards of the models behind the operation ``listing`` sells: the models of its
    plugin whose name begins the operation's (``credit_risk`` for ``credit_risk_score``), or
    the plugin's only model."""
    if not (listing.plugin_name and listing.operation_name):
        return []
    models = get_runtime().models(listing.plugin_name)
    fitting = [model for model in models if listing.operation_name.startswith(model.name)]
    return fitting or (models if len(models) == 1 else [])
