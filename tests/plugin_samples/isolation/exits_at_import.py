"""A plugin whose import ends the process importing it, past any ``except``."""

import os

os._exit(7)
