"""Run a plugin macro as DSS runs it, recording what DSS would see.

DSS's runnable server (``dataiku/runnables/server.py`` and ``progress_utils.py`` of the
DSS 9.0.5 distribution, in a public archive) does, in order:

1. finds the class of ``runnable.py`` that derives from ``dataiku.runnables.Runnable``
   (by base class, not by name) and builds it with as many of ``(project_key, config,
   plugin_config)`` as its ``__init__`` takes;
2. calls ``get_progress_target()`` once; when it returns ``(target, unit)`` it sends
   PROGRESS_INFO, and each ``progress_callback(current)`` sends PROGRESS_CHANGE; when it
   returns None the callback only prints;
3. calls ``run(progress_callback)``; a result with a callable ``to_json`` (a
   ``ResultTable``) is sent as its JSON, a dict as JSON, anything else as a string;
4. an exception becomes the run's error, shown to the user with its message.

``run_macro`` does the same in-process and returns a ``MacroRun`` holding each step, so
tests see exactly what DSS would have shown.
"""

import importlib.util
import inspect
import json
import os
import traceback
from dataclasses import dataclass, field
from typing import Any, List, Optional

from dataiku.runnables import Runnable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROGRESS_UNITS = ("SIZE", "FILES", "RECORDS", "NONE")


@dataclass
class MacroRun:
    """What DSS received from one run of a macro."""

    progress_info: Optional[dict] = None  # {"target": ..., "unit": ...} or None
    progress: List[Any] = field(default_factory=list)  # each value passed to progress_callback
    result: Optional[str] = None  # the string DSS receives (a ResultTable as its JSON)
    error: Optional[BaseException] = None

    @property
    def table(self):
        """The result as a ResultTable's JSON, decoded: header, columns, records."""
        return json.loads(self.result)

    def rows(self):
        """The records as dicts keyed by column name."""
        table = self.table
        names = [c["name"] for c in table["columns"]]
        return [dict(zip(names, r)) for r in table["records"]]


def runnable_class(macro_id):
    """The class DSS would pick in ``python-runnables/<macro_id>/runnable.py``: the one deriving from Runnable."""
    path = os.path.join(ROOT, "python-runnables", macro_id, "runnable.py")
    spec = importlib.util.spec_from_file_location("dss_runnable_%s" % macro_id.replace("-", "_"), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found = [c for c in vars(module).values()
             if inspect.isclass(c) and issubclass(c, Runnable) and c is not Runnable]
    if len(found) != 1:
        raise AssertionError("%s: DSS needs exactly one Runnable subclass, found %d" % (path, len(found)))
    return found[0]


def run_macro(macro_id, config, plugin_config=None, project_key="PROJECT"):
    """Build and run the macro as DSS does; exceptions are recorded, not raised."""
    run = MacroRun()
    clazz = runnable_class(macro_id)
    args = (project_key, config, plugin_config or {})
    arg_count = len(inspect.getfullargspec(clazz.__init__).args)
    if not 1 <= arg_count <= 4:
        raise AssertionError("Wrong signature of the Runnable subclass: %d args" % arg_count)
    try:
        runnable = clazz(*args[:arg_count - 1])
        target = runnable.get_progress_target()
        if target is not None:
            run.progress_info = {"target": target[0] if len(target) >= 1 else -1,
                                 "unit": target[1] if len(target) >= 2 else "NONE"}
            if run.progress_info["unit"] not in PROGRESS_UNITS:
                raise AssertionError("progress unit %r is not one of %s" % (run.progress_info["unit"], PROGRESS_UNITS))
        result = runnable.run(run.progress.append)
        if result is not None:
            to_json = getattr(result, "to_json", None)
            if to_json is not None and callable(to_json):
                result = result.to_json()
            elif isinstance(result, dict):
                result = json.dumps(result)
            elif not isinstance(result, str):
                raise AssertionError("DSS sends a result as a string; got %s" % type(result).__name__)
        run.result = result
    except Exception as exc:  # DSS shows the error's message to the user
        traceback.print_exc()
        run.error = exc
    return run
