"""The README's example is a working plugin."""

import re
import types
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_example_loads_and_answers(plugin_operations, call_operation):
    (code,) = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    example = types.ModuleType("readme_example")
    exec(compile(code, str(README), "exec"), example.__dict__)

    assert set(plugin_operations(example)) == {"greet"}
    assert call_operation(example, "greet", {"name": "Li"}) == {"text": "Hello, Li"}
