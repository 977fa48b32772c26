"""The stand-in is test equipment that follows PLATFORM.md: it must not import the plugin."""

import ast
import os

STANDIN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "standin", "spcs_standin")


def test_standin_imports_nothing_from_the_plugin():
    imported = set()
    for name in os.listdir(STANDIN):
        if name.endswith(".py"):
            with open(os.path.join(STANDIN, name)) as f:
                tree = ast.parse(f.read())
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    imported.update(a.name.split(".")[0] for a in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    imported.add(node.module.split(".")[0])
    assert imported, "no imports found: wrong folder?"
    assert not imported & {"spcs_llm", "dataiku", "dss_harness"}
