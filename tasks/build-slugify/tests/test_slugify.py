"""Hidden tests for slugify.py (see SPEC.md)."""

import importlib

import pytest


@pytest.fixture
def slugify():
    # Imported per test, so a broken module fails each test instead of the whole file.
    return importlib.import_module("slugify").slugify


def test_spec_example(slugify):
    assert slugify("Crème Brûlée: a How-To!") == "creme-brulee-a-how-to"


def test_text_that_is_not_str_raises_type_error(slugify):
    for text in (None, b"bytes", 42):
        with pytest.raises(TypeError):
            slugify(text)


def test_invalid_separator_or_max_length_raises_value_error(slugify):
    for separator in ("", "a", "-1-"):
        with pytest.raises(ValueError):
            slugify("hello world", separator=separator)
    for max_length in (0, -3):
        with pytest.raises(ValueError):
            slugify("hello world", max_length=max_length)


def test_accents_and_compatibility_characters_fold_to_ascii(slugify):
    assert slugify("ﬁnancial Ångström") == "financial-angstrom"
    assert slugify("Ｆｕｌｌ ｗｉｄｔｈ ①") == "full-width-1"


def test_characters_without_ascii_form_are_dropped(slugify):
    assert slugify("日本 Tokyo 2024") == "tokyo-2024"


def test_apostrophes_vanish_without_a_separator(slugify):
    assert slugify("Don't stop") == "dont-stop"
    assert slugify("It\u2019s l'été") == "its-lete"


def test_runs_collapse_to_one_separator_of_any_length(slugify):
    assert slugify("  Hello,   World!  ") == "hello-world"
    assert slugify("--a  /  b--", separator="_") == "a_b"
    assert slugify(" Hello,   World! ", separator="__") == "hello__world"


def test_lowercase_is_the_default_and_can_be_turned_off(slugify):
    assert slugify("Hello World") == "hello-world"
    assert slugify("Hello World", lowercase=False) == "Hello-World"


def test_max_length_cuts_at_word_boundaries(slugify):
    assert slugify("the quick brown fox", max_length=15) == "the-quick-brown"
    assert slugify("the quick brown fox", max_length=14) == "the-quick"
    assert slugify("ab cd", max_length=3) == "ab"
    assert slugify("Supercalifragilistic word", max_length=5) == "super"
    assert slugify("a b", separator="__", max_length=3) == "a"


def test_text_without_letters_or_digits_gives_empty_string(slugify):
    assert slugify("") == ""
    assert slugify("!!! --- ???") == ""
    assert slugify("日本") == ""
