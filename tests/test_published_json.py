"""Published JSON is written as JavaScript's `JSON.stringify(value, null, 2)` writes it."""

from __future__ import annotations

import json
import random
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from harness.formats import dumps_published, js_number

# Each pair: a double, and what Node 20 printed for it with JSON.stringify.
JAVASCRIPT_WRITES = [
    (7.35, "7.35"),
    (9.075, "9.075"),
    (0.1 + 0.2, "0.30000000000000004"),
    (7.5e-05, "0.000075"),  # Python's json writes 7.5e-05
    (3.5e-06, "0.0000035"),
    (1e-6, "0.000001"),
    (1e-7, "1e-7"),
    (1.5e-7, "1.5e-7"),
    (123456.789, "123456.789"),
    (1e21, "1e+21"),
    (1.5e21, "1.5e+21"),
    (9007199254740993.0, "9007199254740992"),
    (2.0**64, "18446744073709552000"),  # the shortest digits, padded: not the exact integer
    (1e300, "1e+300"),
    (-0.0004, "-0.0004"),
    (5e-324, "5e-324"),
    (1.7976931348623157e308, "1.7976931348623157e+308"),
    (100.0, "100"),
    (1e16, "10000000000000000"),
    (-0.0, "0"),
]


@pytest.mark.parametrize(("value", "expected"), JAVASCRIPT_WRITES)
def test_numbers_are_written_as_javascript_writes_them(value: float, expected: str) -> None:
    assert dumps_published(value) == expected
    assert dumps_published([value]) == f"[\n  {expected}\n]"


def test_not_a_number_and_infinities_are_null_as_in_javascript() -> None:
    assert dumps_published({"a": float("nan"), "b": float("inf"), "c": -float("inf")}) == (
        '{\n  "a": null,\n  "b": null,\n  "c": null\n}'
    )


def test_every_double_reads_back_as_itself() -> None:
    generator = random.Random(20261204)
    doubles = []
    while len(doubles) < 20000:
        value = struct.unpack("d", struct.pack("Q", generator.getrandbits(64)))[0]
        if value == value and abs(value) != float("inf"):
            doubles.append(value)
    text = dumps_published(doubles)
    assert [float(read) for read in json.loads(text)] == doubles  # integral ones read back as ints
    assert all("e" not in js_number(v) for v in doubles if 1e-6 <= abs(v) < 1e21)


def test_layout_is_two_space_indent_with_empty_containers_inline_and_utf8_text() -> None:
    value = {"name": "é 😀 \u2028", "list": [1, {"x": []}], "empty": {}, "quote": 'a"b\\c\n\x01', "flag": True, "none": None}
    assert dumps_published(value) == (
        "{\n"
        '  "name": "é 😀 \u2028",\n'
        '  "list": [\n    1,\n    {\n      "x": []\n    }\n  ],\n'
        '  "empty": {},\n'
        '  "quote": "a\\"b\\\\c\\n\\u0001",\n'
        '  "flag": true,\n'
        '  "none": null\n'
        "}"
    )


def test_a_lone_surrogate_in_a_reply_is_escaped_not_a_crash() -> None:
    text = dumps_published({"reply": "broken \ud83d emoji", "score": 7.5})
    assert text == '{\n  "reply": "broken \\ud83d emoji",\n  "score": 7.5\n}'
    assert json.loads(text)["reply"] == "broken \ud83d emoji"


def test_integers_beyond_64_bits_and_non_string_keys() -> None:
    assert dumps_published({1: 2**70}) == '{\n  "1": 1180591620717411303424\n}'


def test_numbers_equal_what_node_writes_for_random_doubles(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the fixed table above still holds")
    generator = random.Random(4)
    doubles: list[float] = []
    while len(doubles) < 20000:
        value = struct.unpack("d", struct.pack("Q", generator.getrandbits(64)))[0]
        if value == value and abs(value) != float("inf"):
            doubles.append(value)
    doubles += [round(generator.uniform(-10, 10), generator.randint(0, 17)) * 10.0**e for e in range(-30, 30) for _ in range(50)]
    source = tmp_path / "doubles.json"
    source.write_text(json.dumps(doubles))
    script = "const v = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8')); process.stdout.write(v.map(x => JSON.stringify(x)).join('\\n'))"
    written = subprocess.run([node, "-e", script, str(source)], capture_output=True, text=True, check=True).stdout.split("\n")
    assert len(written) == len(doubles)
    differing = [(value, ours, theirs) for value, ours, theirs in zip(doubles, map(js_number, doubles), written) if ours != theirs]
    assert differing == []
