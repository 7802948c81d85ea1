"""Every hook a Datamarket plugin can implement.

All hooks are prefixed ``datamarket_``. The platform adds this module to its plugin manager with
``PluginManager.add_hookspecs``, so pluggy checks each implementation's signature against the
specification here.
"""

from datamarket_sdk import hookspec


@hookspec
def datamarket_plugin_manifest() -> dict:
    """Return the manifest that identifies this plugin to the platform.

    The manifest is a dict with these keys, all strings:

    - ``name``: the plugin's name, unique on the platform;
    - ``version``: the plugin's own version;
    - ``merchant``: the data merchant (数商) that publishes the plugin;
    - ``sdk``: the range of SDK versions the plugin works with, as a PEP 440 specifier
      (for example ``">=0.1,<0.2"``).

    :return:
        The plugin's manifest. Every plugin implements this hook exactly once; the platform
        collects one manifest per registered plugin.

    .. versionadded:: 0.1
    """
