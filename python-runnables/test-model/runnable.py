"""DSS macro entry point: adapts the macro call to ``spcs_llm.admin.model_test``."""

import dataiku
from dataiku.runnables import ResultTable, Runnable

from spcs_llm.admin import model_test


class MyRunnable(Runnable):
    """Run the doctor's checks on the models of a Custom LLM connection and show a table of results."""

    def __init__(self, project_key, config, plugin_config):
        super().__init__(project_key, config, plugin_config)

    def get_progress_target(self):
        return model_test.PROGRESS  # percent of the models tested

    def run(self, progress_callback):
        rows, header = model_test.run(self.config, dataiku.api_client(), progress=progress_callback)
        table = ResultTable()
        table.set_name("Test of the connection's models")
        table.set_header(header)
        for name, label in model_test.COLUMNS:
            table.add_column(name, label, "STRING")
        for row in rows:
            table.add_record(row)
        return table
