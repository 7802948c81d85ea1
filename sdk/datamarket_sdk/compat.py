"""The SDK's version, and whether a plugin's declared SDK range includes it."""

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

#: The version of this SDK (semantic versioning: a plugin built for 0.1 works with any 0.1.x).
SDK_VERSION = "0.1.2"

_EXAMPLE = ">=0.1,<0.2"


def check_sdk_compatibility(spec: str, sdk_version: str = SDK_VERSION) -> str | None:
    """Say why a plugin declaring the SDK range ``spec`` cannot run on ``sdk_version``.

    :param spec: the ``sdk`` field of the plugin's manifest, a PEP 440 specifier such as
        ``">=0.1,<0.2"``.
    :param sdk_version: the SDK version the platform provides; this SDK's own by default.
    :return: ``None`` when the plugin is compatible, otherwise a sentence saying what is wrong
        and what to do about it.
    """
    if not spec.strip():
        return (f"the plugin does not say which SDK versions it works with: set sdk in its "
                f"manifest to a range such as '{_EXAMPLE}'")
    try:
        specifier = SpecifierSet(spec)
    except InvalidSpecifier:
        return (f"the plugin's SDK range '{spec}' is not a version range: write it as a PEP 440 "
                f"specifier such as '{_EXAMPLE}'")
    try:
        version = Version(sdk_version)
    except InvalidVersion:
        return f"the platform's SDK version '{sdk_version}' is not a valid version"
    if specifier.contains(version, prereleases=True):
        return None
    return (f"plugin needs SDK {spec} but this platform provides {sdk_version}: install a release "
            f"of the plugin built for SDK {version.major}.{version.minor}, or, if the plugin works "
            f"with it, widen the sdk range in its manifest")
