"""An entitlement's scope: which operations, which output fields, which masking."""

from __future__ import annotations

from marketplace.delivery.scope import GrantedScope, OperationGrant, operation_ref


def test_a_scope_survives_its_json_form():
    scope = GrantedScope.of([
        OperationGrant("kyb.verify", frozenset({"name", "status"}), {"name": "partial"}),
        OperationGrant("kyb.lookup")])
    again = GrantedScope.from_json(scope.to_json())
    assert again == scope
    assert again.to_json() == {"operations": {
        "kyb.lookup": {"fields": None, "masking": {}},
        "kyb.verify": {"fields": ["name", "status"], "masking": {"name": "partial"}}}}


def test_a_scope_covers_only_its_operations_and_fields():
    scope = GrantedScope.of([OperationGrant(operation_ref("kyb", "verify"),
                                            frozenset({"status"}))])
    grant = scope.grant("kyb", "verify")
    assert grant is not None and grant.allows_field("status")
    assert not grant.allows_field("legal_representative")
    assert not scope.covers("kyb", "lookup")
    assert not scope.covers("other", "verify")
    assert GrantedScope.of([OperationGrant("kyb.lookup")]).grant("kyb", "lookup").allows_field(
        "anything")


def test_the_first_unqualified_form_is_still_read():
    legacy = GrantedScope.from_json({"operations": ["verify"], "fields": ["status"]})
    assert legacy.covers("kyb", "verify")
    assert not legacy.covers("kyb", "lookup")
    assert not legacy.grant("kyb", "verify").allows_field("name")
    assert GrantedScope.from_json(None) == GrantedScope()


def test_the_plugin_sees_operation_names_and_common_fields():
    narrowed = GrantedScope.of([OperationGrant("kyb.verify", frozenset({"status"}))]).sdk_scope()
    assert narrowed.operations == {"verify"} and narrowed.fields == {"status"}
    mixed = GrantedScope.of([OperationGrant("kyb.verify", frozenset({"status"})),
                             OperationGrant("kyb.lookup")]).sdk_scope()
    assert mixed.operations == {"verify", "lookup"} and mixed.fields is None
