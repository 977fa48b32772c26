"""Stand-in for ``dataiku.runnables.Runnable``: DSS provides the real one to macros."""


class Runnable(object):
    def __init__(self, project_key=None, config=None, plugin_config=None):
        pass
