"""Stand-in for ``dataiku.llm.python.BaseLLM``: DSS provides the real one."""


class BaseLLM(object):
    def __init__(self):
        pass
