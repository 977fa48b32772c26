# make test   : create .venv (Python 3.11) from the code-env and test requirements, run the suite
# make test-py39 : the same suite on Python 3.9 (the real-model tests are skipped there)
# make demo   : start the stand-in and drive the plugin as DSS would
PYTHON ?= python3.11
VENV ?= .venv
PY39 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.9*/bin/python) python3.9)
REQS = code-env/python/spec/requirements.txt requirements-dev.txt

.PHONY: test test-py39 demo doctor clean

$(VENV)/.installed: $(REQS)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

test: $(VENV)/.installed
	$(VENV)/bin/python -m pytest tests -q

test-py39:
	$(MAKE) test PYTHON=$(PY39) VENV=.venv39

demo: $(VENV)/.installed
	$(VENV)/bin/python demo/run_demo.py

clean:
	rm -rf .venv .venv39 dist .pytest_cache

.PHONY: reliability
reliability: $(VENV)/.installed
	$(VENV)/bin/python devtools/reliability.py

.PHONY: plugin
plugin:
	$(PYTHON) devtools/build_plugin.py

.PHONY: bench
bench: $(VENV)/.installed
	$(VENV)/bin/python bench/run_bench.py

# make interop : the plugin against real third-party servers (infinity-emb, transformers serve,
# snowflake-ml-python's inference server), each on 127.0.0.1; their pinned environments and
# the locally built models go under .interop/ (built once). See the README, Interoperability.
INTEROP_ENVS = infinity tfserve snowml snowml26
.PHONY: interop
.interop/%/.installed: interop/requirements/%.txt
	rm -rf .interop/$*
	$(PYTHON) -m venv .interop/$*
	.interop/$*/bin/pip install --disable-pip-version-check -q -r $<
	touch $@

interop: $(VENV)/.installed $(foreach e,$(INTEROP_ENVS),.interop/$(e)/.installed)
	$(VENV)/bin/python interop/run.py

# make snowml-signatures : rewrite tests/fixtures/snowml_signatures/<version>.json from the real objects of
# snowflake-ml-python 2.6.0 (.interop/snowml26) and 1.5.4 (.interop/snowml); make interop fails on drift.
.PHONY: snowml-signatures
snowml-signatures: .interop/snowml26/.installed .interop/snowml/.installed
	.interop/snowml26/bin/python interop/export_snowml_signatures.py
	.interop/snowml/bin/python interop/export_snowml_signatures.py
