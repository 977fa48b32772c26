"""DSS macro entry point: adapts the macro call to ``spcs_llm.service_macro``."""

from dataiku.runnables import Runnable

from spcs_llm.admin import service_macro


class MyRunnable(Runnable):
    """List SPCS services with their ingress URLs; resume or suspend one."""

    def __init__(self, project_key, config, plugin_config):
        self.config = config

    def get_progress_target(self):
        return None

    def run(self, progress_callback):
        return service_macro.run(self.config)
