"""A plugin whose import never finishes; it writes its process id to ``<this file>.pid`` first."""

import os
import time
from pathlib import Path

Path(__file__).with_suffix(".pid").write_text(str(os.getpid()), encoding="utf-8")
while True:
    time.sleep(1)
