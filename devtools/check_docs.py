"""Every command and file the README and docs/ name must exist: ``python devtools/check_docs.py``.

Links and their anchors are checked by md-dead-link-check (``make docs-check``); this checks
what a link checker does not see, the text inside code:

- commands in ``sh`` blocks and in inline code: ``make`` targets exist in the Makefile;
  ``python -m module`` resolves to a module of ``python-lib/`` or ``standin/``, a script
  path exists, and every ``--flag`` given appears in that command's ``--help``;
  ``pip install -r FILE`` and ``cd DIR`` name what exists;
- file references in inline code (``resource/snowflake_setup.sql``, ``tests/test_x.py::test_y``):
  the file exists (relative to the repository or to ``python-lib/spcs_llm/``, globs allowed),
  and a named test function is defined in it.

Prints one line per problem (file:line, what) and exits 1 if there is any.
"""

import glob
import importlib.util
import os
import re
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIBRARY = os.path.join("python-lib", "spcs_llm")
# Folders that commands create (make plugin, make test, make interop): named, never checked in.
GENERATED = ("dist/", ".venv", ".interop/", "bench/results/", "doctor-env/", ".hypothesis")
# Names of files the reader writes themselves, as the text says (a provisioning spec, a key).
READERS_FILES = {"prod.yaml", "vllm.yaml", "rsa_key.p8", "key.p8", "recipe.json", "spec.yaml"}
# Files of other projects the text cites (snowflake-ml-python's inference server).
OTHER_PROJECTS_FILES = {"_deploy_client/image_builds/inference_server/main.py", "gunicorn_run.sh"}
# snowflake-ml-python's sources, cited where the interoperability facts were read (docs/interoperability.md).
OTHER_PROJECTS_FILES |= {
    "_client/ops/model_ops.py", "_client/sql/service.py", "_handler.py", "_internal/platform_capabilities.py",
    "_model_composer/model_method/constants.py", "_model_composer/model_method/model_method.py",
    "_signatures/utils.py", "model_handlers/huggingface_pipeline.py", "model_handlers/llm.py",
    "model_handlers/sentence_transformers.py", "registry_param_test_base.py",
    "snowflake/ml/model/_packager/model_handlers/huggingface/_handler.py",
    "snowflake/ml/model/openai_signatures.py",
    "tests/integ/snowflake/ml/registry/services/registry_model_deployment_test_base.py",
    "tests/integ/snowflake/ml/registry/services/registry_transformer_params_test.py",
}
FILE_EXTENSIONS = ("py", "json", "sql", "md", "txt", "yaml", "yml", "toml", "sh", "cfg", "zip", "p8")
_PATH = re.compile(r"^[\w.*-]+(/[\w.*-]+)*/?(::[\w\[\]-]+)?$")
_FENCE = re.compile(r"^\s*```(\w*)")
_INLINE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
_COMMAND_START = re.compile(r"^(?:[A-Z_]+=\S+\s+)*(make|python3?|\S*/bin/python|pip|bash|cd)\b")


def documents(root=ROOT):
    """The README and every Markdown file of docs/."""
    return ["README.md"] + sorted(os.path.relpath(p, root) for p in glob.glob(os.path.join(root, "docs", "*.md")))


def code_in(text):
    """``(line number, kind, code)`` for each shell line of a fenced block and each inline code span."""
    out, fence, joined, start = [], None, "", 0
    for number, line in enumerate(text.split("\n"), 1):
        m = _FENCE.match(line)
        if m:
            fence = None if fence is not None else m.group(1)
            continue
        if fence is not None:
            if fence in ("sh", "bash", "shell"):
                if not joined:
                    start = number
                joined += line.rstrip("\\").rstrip() + " "
                if not line.rstrip().endswith("\\"):
                    out.append((start, "command", joined.strip()))
                    joined = ""
            continue
        for span in _INLINE.findall(line):
            out.append((number, "inline", span.strip()))
    return out


class Checker:
    """Collects the problems of the documents under ``root``."""

    def __init__(self, root=ROOT):
        self.root = root
        self.problems = []
        self._helps = {}
        self._targets = None
        tracked = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True).stdout.split()
        self._basenames = {os.path.basename(p) for p in tracked} | {
            os.path.basename(p) for p in glob.glob(os.path.join(root, "**", "*"), recursive=True)}

    def check(self, rel):
        with open(os.path.join(self.root, rel), encoding="utf-8") as f:
            return self.check_text(rel, f.read())

    def check_text(self, rel, text):
        """The problems of Markdown ``text`` (named ``rel`` in them)."""
        for number, kind, code in code_in(text):
            where = "%s:%d" % (rel, number)
            if kind == "command":
                for part in re.split(r"\s*(?:&&|;|\|)\s*", code.split(" # ")[0].split("  #")[0]):
                    self.command(where, part.strip())
            elif _COMMAND_START.match(code):
                self.command(where, code)
            else:
                self.file(where, code)
        return self.problems

    # Commands

    def command(self, where, line):
        if not line or line.startswith("#"):
            return
        try:
            words = shlex.split(line.replace("<", "'<").replace(">", ">'"))
        except ValueError:
            words = line.split()
        while words and re.match(r"^[A-Za-z_]+=", words[0]):
            words.pop(0)  # VAR=value before the command
        if not words:
            return
        program, args = words[0], words[1:]
        if program == "make":
            for target in args:
                if "=" not in target and not target.startswith("-") and target not in self.targets():
                    self.problems.append("%s: make target %r does not exist in the Makefile" % (where, target))
        elif program == "cd":
            if args and not os.path.isdir(os.path.join(self.root, args[0])):
                self.problems.append("%s: cd %s: no such folder" % (where, args[0]))
        elif program == "pip" or program.endswith("/pip"):
            if "-r" in args and args.index("-r") + 1 < len(args):
                self.file(where, args[args.index("-r") + 1], strict=True)
        elif program == "bash":
            if args:
                self.file(where, args[0], strict=True)
        elif re.match(r"^(python3?|\S*/bin/python3?)$", program):
            self.python(where, args)

    def python(self, where, args):
        if not args:
            return
        if args[0] == "-m" and len(args) > 1:
            module, rest = args[1], args[2:]
            if not self.module_exists(module):
                self.problems.append("%s: python -m %s: no such module in python-lib/ or standin/" % (where, module))
                return
            invocation = ["-m", module]
        elif args[0].endswith(".py"):
            if not os.path.isfile(os.path.join(self.root, args[0])):
                self.problems.append("%s: %s: no such script" % (where, args[0]))
                return
            invocation, rest = [args[0]], args[1:]
        else:
            return
        flags = {a.split("=")[0] for a in rest if a.startswith("--")}
        if flags:
            known = self.help_of(invocation)
            for flag in sorted(flags):
                if not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(flag), known):
                    self.problems.append("%s: python %s has no flag %s (not in its --help)" % (where, " ".join(invocation),
                                                                                       flag))

    def module_exists(self, module):
        parts = module.split(".")
        if parts[0] not in ("spcs_llm", "spcs_standin"):
            return importlib.util.find_spec(parts[0]) is not None  # the standard library's (venv, pip)
        for base in ("python-lib", "standin"):
            path = os.path.join(self.root, base, *parts)
            if os.path.isfile(path + ".py") or os.path.isfile(os.path.join(path, "__main__.py")):
                return True
        return False

    def help_of(self, invocation):
        key = tuple(invocation)
        if key not in self._helps:
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(os.path.join(self.root, p)
                                                              for p in ("python-lib", "standin")))
            done = subprocess.run([sys.executable] + invocation + ["--help"], cwd=self.root, env=env,
                                  capture_output=True, text=True)
            self._helps[key] = done.stdout + done.stderr
        return self._helps[key]

    def targets(self):
        if self._targets is None:
            with open(os.path.join(self.root, "Makefile"), encoding="utf-8") as f:
                text = f.read()
            self._targets = set(re.findall(r"^([A-Za-z0-9_.-]+):(?!=)", text, re.MULTILINE))
        return self._targets

    # Files

    def file(self, where, span, strict=False):
        """Check a code span that looks like a file path (or must be one, with ``strict``)."""
        if not strict and not self.looks_like_path(span):
            return
        if span.startswith(GENERATED) or span in READERS_FILES or span in OTHER_PROJECTS_FILES:
            return
        path, _, test = span.partition("::")
        candidates = [path, os.path.join(LIBRARY, path)]
        found = [m for c in candidates for m in glob.glob(os.path.join(self.root, c.rstrip("/")))]
        if not found and "/" not in path and os.path.basename(path) in self._basenames:
            return
        if not found:
            self.problems.append("%s: %s does not exist" % (where, span))
            return
        if test:
            name = test.split("[")[0]
            with open(found[0], encoding="utf-8") as f:
                if not re.search(r"^\s*def %s\(" % re.escape(name), f.read(), re.MULTILINE):
                    self.problems.append("%s: %s defines no test %s" % (where, path, name))

    @staticmethod
    def looks_like_path(span):
        if " " in span or "://" in span or span.startswith(("/", "~", ".", "-", "$")) or "<" in span:
            return False
        if not _PATH.match(span):
            return False
        if "/" in span:
            return True
        return span.split("::")[0].rsplit(".", 1)[-1] in FILE_EXTENSIONS and "." in span


def main(root=ROOT):
    checker = Checker(root)
    for rel in documents(root):
        checker.check(rel)
    for problem in checker.problems:
        print(problem)
    print("%d problem(s) in %s" % (len(checker.problems), ", ".join(documents(root))))
    return 1 if checker.problems else 0


if __name__ == "__main__":
    sys.exit(main())
