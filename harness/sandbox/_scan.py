"""A static scan of a submission's Python files for what only an attempt on the score needs.

It reads the source on the host (trusted) and never runs it. Honest code that
imports `os`, `sys`, `inspect` or `functools` passes; touching the test
runner's internals, the interpreter's frames, `sys.modules`, `builtins`,
`gc`, `atexit`, `ctypes`, signals, `os._exit` or the hidden test files does not.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Iterator, Mapping

__all__ = ["scan_submission"]

_MODULES = {
    "pytest": "imports the test runner (pytest)",
    "_pytest": "imports the test runner's internals (_pytest)",
    "pluggy": "imports the test runner's plugin system (pluggy)",
    "ctypes": "imports ctypes (raw memory access)",
    "_ctypes": "imports ctypes (raw memory access)",
    "gc": "imports gc (reaching other objects of the process)",
    "atexit": "imports atexit (code that runs after the tests)",
    "signal": "imports signal",
    "builtins": "imports builtins",
    "faulthandler": "imports faulthandler",
}
_ATTRIBUTES = {
    "_getframe": "reads interpreter frames (sys._getframe)",
    "_current_frames": "reads interpreter frames (sys._current_frames)",
    "currentframe": "reads interpreter frames (inspect.currentframe)",
    "getouterframes": "reads interpreter frames",
    "getinnerframes": "reads interpreter frames",
    "f_back": "walks interpreter frames (f_back)",
    "f_locals": "reads a frame's locals",
    "f_globals": "reads a frame's globals",
    "f_builtins": "reads a frame's builtins",
    "tb_frame": "reads a traceback's frame",
    "gi_frame": "reads a generator's frame",
    "co_consts": "reads code objects' constants",
    "__code__": "touches a function's code object",
    "__globals__": "reaches a function's globals",
    "__closure__": "reaches a function's closure",
    "__subclasses__": "walks the class tree",
    "settrace": "installs a trace function",
    "setprofile": "installs a profile function",
    "addaudithook": "installs an audit hook",
    "_exit": "ends the process without cleanup (os._exit)",
    "dup2": "rewires file descriptors (dup2)",
    "closerange": "closes file descriptors wholesale",
    "getsource": "reads other code's source (inspect.getsource)",
    "getsourcelines": "reads other code's source",
}
_CALLS = {
    "__import__": "imports by computed name (__import__)",
    "exec": "executes generated code (exec)",
    "eval": "evaluates generated code (eval)",
    "compile": "compiles generated code (compile)",
    "breakpoint": "calls breakpoint()",
}
_NAMES = {"__builtins__": "touches __builtins__"}
_STRINGS = {
    "_eval_tests": "names the hidden tests folder",
    "conftest": "names conftest",
    "pytest": "names pytest",
    "junit": "names the test report",
    "/proc/": "reads /proc",
    ".harness": "names the harness's runtime folder",
}


# CPython 3.11's parser is not safe to run from several threads at once (sandbox runs are threads).
_PARSE_LOCK = threading.Lock()


def _findings(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import):
            for alias in node.names:
                if (why := _MODULES.get(alias.name.split(".")[0])) is not None:
                    yield line, why
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if (why := _MODULES.get(node.module.split(".")[0])) is not None:
                yield line, why
        elif isinstance(node, ast.Attribute):
            if (why := _ATTRIBUTES.get(node.attr)) is not None:
                yield line, why
            elif node.attr == "modules" and isinstance(node.value, ast.Name) and node.value.id == "sys":
                yield line, "reaches every loaded module (sys.modules)"
            elif node.attr == "stack" and isinstance(node.value, ast.Name) and node.value.id == "inspect":
                yield line, "reads interpreter frames (inspect.stack)"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if (why := _CALLS.get(node.func.id)) is not None:
                yield line, why
        elif isinstance(node, ast.Name) and (why := _NAMES.get(node.id)) is not None:
            yield line, why
        elif isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
            text = node.value.decode("latin-1") if isinstance(node.value, bytes) else node.value
            for needle, why in _STRINGS.items():
                if needle in text:
                    yield line, why


def scan_submission(files: Mapping[str, str]) -> list[str]:
    """One line per finding, `path:line: what`, in file and line order (Python files only)."""
    notes: list[str] = []
    for path in sorted(files):
        if not path.endswith(".py"):
            continue
        try:
            with _PARSE_LOCK:
                tree = ast.parse(files[path], filename=path)
        except (SyntaxError, ValueError):
            continue  # it cannot run either; the tests will say so
        seen: set[tuple[int, str]] = set()
        for line, why in sorted(_findings(tree)):
            if (line, why) not in seen:
                seen.add((line, why))
                notes.append(f"{path}:{line}: {why}")
    return notes
