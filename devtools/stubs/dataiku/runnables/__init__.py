"""Stand-in for ``dataiku.runnables``: what DSS gives a macro (``Runnable``, ``ResultTable``).

Written from DSS's own runnable code (``dataiku/runnables/runnable.py`` and ``result.py``
of the DSS 9.0.5 distribution, in a public archive): the same constructor, the same
defaults, and the same JSON for a result table. How DSS drives a runnable (the class found
by its base, ``get_progress_target`` before ``run``, the progress callback, the result
conversion) is in ``devtools/dss_runnables.py``.
"""

import json


class Runnable(object):
    """The base interface for a Python runnable."""

    def __init__(self, project_key, config, plugin_config):
        self.project_key = project_key
        self.config = config
        self.plugin_config = plugin_config

    def get_progress_target(self):
        """``(target, unit)`` with unit one of SIZE, FILES, RECORDS, NONE; or None for no progress."""
        return None

    def run(self, progress_callback):
        """Do the work; ``progress_callback(current)`` reports progress against the target."""
        raise Exception("unimplemented")


class ResultTable(object):
    """A table result (runnable.json ``"resultType": "RESULT_TABLE"``)."""

    def __init__(self):
        self.records = []
        self.columns = []
        self.header = ""
        self.name = ""

    def add_column(self, name, display_name, type="STRING"):
        self.columns.append({"name": name, "displayName": display_name, "type": type})

    def add_record(self, record):
        self.records.append(record)

    def set_header(self, header):
        self.header = header

    def set_name(self, name):
        self.name = name

    def to_json(self):
        return json.dumps({"header": self.header, "columns": self.columns, "records": self.records,
                           "name": self.name})
