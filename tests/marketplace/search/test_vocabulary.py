"""The care words of data/search_vocabulary.toml, as a search reads them."""

from __future__ import annotations

import pytest

from marketplace.search.query import text_clauses, typed_word
from marketplace.search.vocabulary import read_vocabulary


def alternatives(text: str) -> list[set[str]]:
    return [{" ".join(words) for words in clause} for clause in text_clauses(text)]


def test_home_care_is_domiciliary_care_and_never_a_care_home():
    [home_care] = alternatives("home care")
    assert {"home care", "homecare", "domiciliary care", "domiciliary"} <= home_care
    assert not home_care & {"care home", "care homes", "residential home"}
    [care_home] = alternatives("care home")
    assert {"care home", "residential home", "residential care"} <= care_home
    assert not care_home & {"home care", "homecare", "domiciliary"}


def test_words_people_use_find_what_cqc_calls_it_one_way():
    [getting_up] = alternatives("someone to help me get up")
    assert {"homecare", "personal assistant", "personal care"} <= getting_up
    assert alternatives("autism")[0] >= {"autistic", "learning disabilities"}
    assert "autism" not in alternatives("learning disabilities")[0]


def test_a_typo_in_a_care_word_is_forgiven_when_it_is_looked_up():
    assert alternatives("domicilary care") == alternatives("domiciliary care")
    assert alternatives("learning disabilty") == alternatives("learning disability")
    assert alternatives("respit") == alternatives("respite")
    # Short words must be spelt right: "aids" is not "kids".
    assert alternatives("aids") == [{"aids"}]


def test_only_words_the_person_typed_get_typo_tolerance():
    typed, care_word = text_clauses("gardening dementia")
    assert typed_word(typed) and not typed_word(care_word)


def test_a_phrase_that_means_nothing_else_is_refused(tmp_path):
    path = tmp_path / "vocabulary.toml"
    path.write_text('stop_words = []\n[[same]]\nphrases = ["home care"]\n')
    with pytest.raises(ValueError, match="home care"):
        read_vocabulary(path)
