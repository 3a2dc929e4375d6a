"""Soundex codes of names: the published examples, Chinese names, missing values."""

from __future__ import annotations

from dedupe.engine.phonetic import soundex, soundex_tokens


def test_soundex_gives_the_known_codes() -> None:
    names = ["robert", "rupert", "rubin", "ashcraft", "tymczak", "pfister", "honeyman"]
    assert soundex(names) == ["R163", "R163", "R150", "A261", "T522", "P236", "H555"]


def test_soundex_keeps_spelling_variants_together() -> None:
    assert len(set(soundex(["meyer", "maier", "mayer", "meier"]))) == 1
    assert soundex(["hubert", "o'brien", "lee"]) == ["H163", "O165", "L000"]


def test_soundex_keeps_values_without_latin_letters_and_missing_ones() -> None:
    assert soundex(["王小明", ""]) == ["王小明", ""]
    assert soundex([]) == []


def test_soundex_tokens_ignore_word_order() -> None:
    assert soundex_tokens(["smith john", "jon smyth", ""]) == ["J500 S530", "J500 S530", ""]
