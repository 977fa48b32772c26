"""Test stand-in for the part of DSS's ``dataiku`` package the plugin uses (BaseLLM only)."""
