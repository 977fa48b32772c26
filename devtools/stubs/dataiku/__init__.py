"""Test stand-in for the parts of DSS's ``dataiku`` package the plugin uses.

The LLM base classes (``dataiku.llm.python``) and the runnable base of the services macro.
"""
