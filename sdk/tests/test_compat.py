"""check_sdk_compatibility: None when a plugin fits, otherwise a sentence a merchant can act on."""

import pytest

from datamarket_sdk import SDK_VERSION, check_sdk_compatibility


@pytest.mark.parametrize("spec", [">=0.1,<0.2", "==0.1.*", "~=0.1.0", ">=0.1.0", "  >=0.1,<0.2 "])
def test_a_range_including_this_sdk_is_compatible(spec):
    assert check_sdk_compatibility(spec) is None


def test_the_default_version_is_this_sdks():
    assert check_sdk_compatibility(f"=={SDK_VERSION}") is None


def test_an_incompatible_range_names_both_versions_and_what_to_do():
    message = check_sdk_compatibility(">=0.2,<0.3", "0.1.0")

    assert message.startswith("plugin needs SDK >=0.2,<0.3 but this platform provides 0.1.0")
    assert "built for SDK 0.1" in message
    assert "widen the sdk range in its manifest" in message


def test_a_newer_platform_tells_old_plugins_apart():
    assert check_sdk_compatibility(">=0.1,<0.2", "0.2.0").startswith(
        "plugin needs SDK >=0.1,<0.2 but this platform provides 0.2.0")
    assert check_sdk_compatibility(">=0.1,<0.3", "0.2.0") is None


def test_a_prerelease_platform_still_matches_its_own_range():
    assert check_sdk_compatibility(">=0.2.0a1,<0.3", "0.2.0rc1") is None


@pytest.mark.parametrize("spec", ["banana", "0.1", ">=0.1;<0.2", ">> 0.1"])
def test_an_unparsable_range_is_explained_with_an_example(spec):
    message = check_sdk_compatibility(spec)

    assert message == (f"the plugin's SDK range '{spec}' is not a version range: write it as a "
                       "PEP 440 specifier such as '>=0.1,<0.2'")


@pytest.mark.parametrize("spec", ["", "   "])
def test_a_missing_range_is_refused_rather_than_matching_everything(spec):
    assert "does not say which SDK versions it works with" in check_sdk_compatibility(spec)


def test_an_invalid_platform_version_is_reported():
    assert check_sdk_compatibility(">=0.1", "not-a-version") == (
        "the platform's SDK version 'not-a-version' is not a valid version")
