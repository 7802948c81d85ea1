"""The pytest fixtures the SDK ships to plugin authors through its pytest11 entry point."""

import threading
import time
from importlib.metadata import entry_points

import pluggy
import pytest
from pydantic import BaseModel, Field

from datamarket_sdk import (
    BadInput,
    Context,
    Dataset,
    DeadlineExceeded,
    Manifest,
    NotFound,
    Operation,
    Scope,
    hookimpl,
)

pytest_plugins = ["pytester"]


class LookupInput(BaseModel):
    credit_code: str = Field(min_length=18, max_length=18)


class LookupOutput(BaseModel):
    name: str
    region: str
    buyer: str


class Settings(BaseModel):
    region: str = "national"


def lookup(ctx: Context, request: LookupInput) -> LookupOutput:
    rows = ctx.dataset("companies").lookup("credit_code", request.credit_code)
    if not rows:
        raise NotFound(f"no company with credit code {request.credit_code}")
    return LookupOutput(name=rows[0]["name"], region=ctx.settings.region, buyer=ctx.buyer)


def nap(ctx: Context, request: LookupInput) -> dict:
    time.sleep(0.05)
    return {"name": "late", "region": "", "buyer": ""}


class CompanyPlugin:
    """A plugin as a merchant writes one, with settings and two operations."""

    @hookimpl
    def datamarket_plugin_manifest(self) -> Manifest:
        return Manifest(name="companies", version="1.0.0", merchant="91350100M000100Y43",
                        sdk=">=0.1,<0.2", settings_model=Settings)

    @hookimpl
    def datamarket_operations(self) -> list[Operation]:
        return [
            Operation(name="lookup", summary="Find a company.", input_model=LookupInput,
                      output_model=LookupOutput, handler=lookup),
            Operation(name="nap", summary="Too slow.", input_model=LookupInput,
                      output_model=LookupOutput, handler=nap, timeout_seconds=0.01),
        ]


COMPANIES = {"companies": [{"credit_code": "91110000100000000A", "name": "Acme"}]}
ACME = {"credit_code": "91110000100000000A"}


def test_the_fixtures_are_registered_as_a_pytest11_plugin(request):
    (entry_point,) = entry_points(group="pytest11", name="datamarket_sdk")
    assert entry_point.value == "datamarket_sdk.testing"
    assert request.config.pluginmanager.has_plugin("datamarket_sdk")


def test_make_context_builds_a_platform_like_context(make_context):
    context = make_context()

    assert context.buyer == "buyer-test"
    assert context.scope == Scope()
    assert context.settings is None and context.datasets == {}
    assert 4.5 < context.remaining() <= 5


def test_make_context_turns_row_dicts_into_datasets(make_context):
    context = make_context(buyer="b-7", scope=Scope(fields=frozenset({"name"})),
                           settings=Settings(), datasets=COMPANIES, timeout=1)

    companies = context.dataset("companies")
    assert isinstance(companies, Dataset)
    assert companies.lookup("name", "Acme")[0]["credit_code"] == ACME["credit_code"]
    assert context.remaining() <= 1


def test_plugin_operations_loads_the_plugin_as_the_platform_does(plugin_operations):
    operations = plugin_operations(CompanyPlugin())

    assert sorted(operations) == ["lookup", "nap"]
    assert operations["nap"].timeout_seconds == 0.01


def test_plugin_operations_rejects_a_misspelt_hook(plugin_operations):
    class Misspelt(CompanyPlugin):
        @hookimpl
        def datamarket_operation(self) -> list[Operation]:
            return []

    with pytest.raises(pluggy.PluginValidationError, match="datamarket_operation"):
        plugin_operations(Misspelt())


def test_plugin_operations_requires_a_manifest_for_this_sdk(plugin_operations):
    class NoManifest:
        @hookimpl
        def datamarket_operations(self) -> list[Operation]:
            return []

    class OldManifest(CompanyPlugin):
        @hookimpl
        def datamarket_plugin_manifest(self) -> dict:
            return {"name": "companies"}

    class FutureSdk(CompanyPlugin):
        @hookimpl
        def datamarket_plugin_manifest(self) -> Manifest:
            return Manifest(name="companies", version="1", merchant="", sdk=">=9")

    with pytest.raises(AssertionError, match="does not implement datamarket_plugin_manifest"):
        plugin_operations(NoManifest())
    with pytest.raises(AssertionError, match="returned a dict, not a Manifest"):
        plugin_operations(OldManifest())
    with pytest.raises(AssertionError, match="plugin needs SDK >=9 but this platform provides"):
        plugin_operations(FutureSdk())


def test_plugin_operations_rejects_duplicate_or_foreign_operations(plugin_operations):
    class Twice(CompanyPlugin):
        @hookimpl
        def datamarket_operations(self) -> list[Operation]:
            return super().datamarket_operations() * 2

    class NotAnOperation(CompanyPlugin):
        @hookimpl
        def datamarket_operations(self) -> list[dict]:
            return [{"name": "lookup"}]

    with pytest.raises(AssertionError, match="two operations are called 'lookup'"):
        plugin_operations(Twice())
    with pytest.raises(AssertionError, match="returned a dict, not an Operation"):
        plugin_operations(NotAnOperation())


def test_call_operation_runs_with_settings_datasets_and_buyer(call_operation):
    result = call_operation(CompanyPlugin(), "lookup", ACME, datasets=COMPANIES, buyer="b-9",
                            settings={"region": "beijing"})

    assert result == {"name": "Acme", "region": "beijing", "buyer": "b-9"}


def test_call_operation_gives_default_settings_when_none_are_passed(call_operation):
    result = call_operation(CompanyPlugin(), "lookup", ACME, datasets=COMPANIES)
    assert result["region"] == "national"


def test_call_operation_raises_what_the_caller_would_get(call_operation):
    with pytest.raises(BadInput, match="credit_code: String should have at least 18 characters"):
        call_operation(CompanyPlugin(), "lookup", {"credit_code": "short"}, datasets=COMPANIES)
    with pytest.raises(NotFound, match="no company with credit code 91110000100000009X"):
        call_operation(CompanyPlugin(), "lookup", {"credit_code": "91110000100000009X"},
                       datasets=COMPANIES)
    with pytest.raises(NotFound, match="no dataset named 'companies'"):
        call_operation(CompanyPlugin(), "lookup", ACME)


def test_call_operation_enforces_the_operations_own_timeout(call_operation):
    with pytest.raises(DeadlineExceeded):
        call_operation(CompanyPlugin(), "nap", ACME)


def test_call_operation_lets_a_test_give_more_time(call_operation):
    assert call_operation(CompanyPlugin(), "nap", ACME, timeout=5)["name"] == "late"


def test_call_operation_names_the_operations_that_exist(call_operation):
    with pytest.raises(AssertionError, match="no operation 'lokup'; it has lookup, nap"):
        call_operation(CompanyPlugin(), "lokup", ACME)


def test_a_fresh_pytest_session_gets_the_fixtures_by_installing_the_sdk(pytester):
    pytester.makepyfile(test_plugin="""
        from datamarket_sdk import Manifest, hookimpl

        class Empty:
            @hookimpl
            def datamarket_plugin_manifest(self):
                return Manifest(name="empty", version="1", merchant="", sdk=">=0.1,<0.2")

        def test_it(make_context, plugin_operations, call_operation):
            assert make_context().buyer == "buyer-test"
            assert plugin_operations(Empty()) == {}
    """)

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1)


def test_call_operation_fails_at_the_deadline_not_when_the_handler_ends(call_operation):
    release = threading.Event()
    finished = threading.Event()

    def stuck(ctx: Context, request: LookupInput) -> dict:
        release.wait(60)  # a handler that ignores its deadline, as a time.sleep(60) would
        finished.set()
        return {"name": "too late", "region": "", "buyer": ""}

    class StuckPlugin(CompanyPlugin):
        @hookimpl
        def datamarket_operations(self) -> list[Operation]:
            return [Operation(name="stuck", summary="Hangs.", input_model=LookupInput,
                              output_model=LookupOutput, handler=stuck, timeout_seconds=0.2)]

    try:
        with pytest.raises(DeadlineExceeded, match=r"operation 'stuck' gave no answer within "
                           r"0\.2 s \(its timeout_seconds\)"):
            call_operation(StuckPlugin(), "stuck", ACME)
        # The call ended while the handler was still waiting: at the deadline, not after it.
        assert not finished.is_set()
    finally:
        release.set()


def test_call_operation_passes_on_what_the_handler_raised_with_its_traceback(call_operation):
    def broken(ctx: Context, request: LookupInput) -> dict:
        return {"name": request.credit_code[99]}

    class BrokenPlugin(CompanyPlugin):
        @hookimpl
        def datamarket_operations(self) -> list[Operation]:
            return [Operation(name="broken", summary="Raises.", input_model=LookupInput,
                              output_model=LookupOutput, handler=broken)]

    with pytest.raises(IndexError) as raised:
        call_operation(BrokenPlugin(), "broken", ACME)
    assert raised.traceback[-1].name == "broken"


def test_a_plugins_test_of_a_hung_handler_fails_at_the_deadline(pytester):
    pytester.makepyfile(test_plugin="""
        import time

        from datamarket_sdk import Manifest, Operation, hookimpl
        from pydantic import BaseModel

        class Text(BaseModel):
            text: str

        def hang(ctx, request):
            time.sleep(600)

        class Slow:
            @hookimpl
            def datamarket_plugin_manifest(self):
                return Manifest(name="slow", version="1", merchant="", sdk=">=0.1,<0.2")

            @hookimpl
            def datamarket_operations(self):
                return [Operation(name="hang", summary="Hangs.", input_model=Text,
                                  output_model=Text, handler=hang, timeout_seconds=0.5)]

        def test_hang(call_operation):
            call_operation(Slow(), "hang", {"text": "x"})
    """)

    # Far below the handler's 600 s: the run must end at the call's deadline.
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*DeadlineExceeded: operation 'hang' gave no answer within "
                                 "0.5 s*"])
