"""DSS macro entry point: adapts the macro call to ``spcs_llm.admin.service_macro``."""

from dataiku.runnables import Runnable

from spcs_llm.admin import service_macro


class MyRunnable(Runnable):
    """List SPCS services with their ingress URLs; resume or suspend one."""

    def __init__(self, project_key, config, plugin_config):
        super().__init__(project_key, config, plugin_config)

    def get_progress_target(self):
        # DSS asks once, before run: seconds of the wait for READY when resuming, else no progress bar.
        return service_macro.progress_target(self.config)

    def run(self, progress_callback):
        return service_macro.run(self.config, progress=progress_callback)
