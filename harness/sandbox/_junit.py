"""Per-test results from a pytest JUnit XML report (stdlib parser only)."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable

from ._models import TestCaseResult

__all__ = ["parse_junit_report", "JUNIT_NOT_PASSED_TAGS"]

JUNIT_NOT_PASSED_TAGS = frozenset({"failure", "error", "skipped"})
"""A testcase with one of these children did not pass (a skipped test is not a pass)."""


def _test_name(classname: str, name: str, prefix: str, module_paths: frozenset[str]) -> str:
    """`path/test_x.py::Class::test_y` (pytest node id below `prefix`), when resolvable.

    pytest's JUnit `classname` is the dotted module path plus any class names;
    the longest dotted prefix naming a known module file is the module.
    """
    parts = classname.split(".") if classname else []
    if parts and parts[0] == prefix:
        parts = parts[1:]
    for split in range(len(parts), 0, -1):
        module = "/".join(parts[:split]) + ".py"
        if module in module_paths:
            return "::".join([module, *parts[split:], name])
    return f"{'.'.join(parts)}::{name}" if parts else name


def parse_junit_report(
    xml_bytes: bytes, *, prefix: str = "", module_paths: Iterable[str] = ()
) -> list[TestCaseResult] | None:
    """Per-test outcomes in a JUnit XML report, sorted by name; None if it is not valid XML.

    `prefix` is the first dotted part of classnames to drop (the hidden tests folder);
    `module_paths` are the test files relative to it, e.g. `test_lru.py`. A test
    reported twice (a failing call and a failing teardown) passed only if both passed.
    """
    try:
        root = ElementTree.fromstring(xml_bytes)
    except ElementTree.ParseError:
        return None
    known = frozenset(module_paths)
    outcomes: dict[str, bool] = {}
    for case in root.iter("testcase"):
        name = _test_name(case.get("classname", ""), case.get("name", ""), prefix, known)
        passed = not any(child.tag in JUNIT_NOT_PASSED_TAGS for child in case)
        outcomes[name] = outcomes.get(name, True) and passed
    return [TestCaseResult(name=name, passed=passed) for name, passed in sorted(outcomes.items())]
