"""Phonetic codes of names: Soundex over a whole list of distinct values at once.

Blocking on a name must survive the usual typing noise (a doubled or dropped letter, a
vowel for another, "ph" for "f"); Soundex keeps the first letter and the classes of the
next consonants, so "meyer", "maier" and "mayer" share ``M600``. The letters of all
values are translated to digit classes in one ``str.translate`` and equal neighbouring
classes collapse in one regular expression over the joined text; only taking the first
letter apart is per value. Values without Latin letters (Chinese names) keep their
value as their code, so they still block on exact equality.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["soundex", "soundex_tokens"]

_CLASSES = {
    **dict.fromkeys("aeiouy", "0"),
    **dict.fromkeys("bfpv", "1"),
    **dict.fromkeys("cgjkqsxz", "2"),
    **dict.fromkeys("dt", "3"),
    "l": "4",
    **dict.fromkeys("mn", "5"),
    "r": "6",
}
# "h" and "w" are dropped, so equal classes on either side of them collapse into one;
# vowels stay (as "0") until after collapsing, so they keep equal classes apart.
_TRANSLATE = str.maketrans({**_CLASSES, "h": None, "w": None})
_NOT_LETTER = re.compile(r"[^a-z\n]+")
_REPEATED = re.compile(r"(\d)\1+")
_LENGTH = 4


def soundex(values: Sequence[str]) -> list[str]:
    """American Soundex of each value (``"robert"`` → ``"R163"``).

    Args:
        values: Names, folded to lower case (``""`` for missing); characters other than
            ``a``–``z`` are ignored.

    Returns:
        One code per value: ``""`` for ``""``, the value itself when it has no Latin
        letter.
    """
    if not values:
        return []
    letters = _NOT_LETTER.sub("", "\n".join(value.replace("\n", " ") for value in values))
    lines = letters.split("\n")
    coded = _REPEATED.sub(r"\1", letters.translate(_TRANSLATE)).split("\n")
    out = []
    for value, word, digits in zip(values, lines, coded, strict=True):
        if not word:
            out.append(value)
            continue
        # The first letter is written as itself; its own class (absent for h/w) goes.
        rest = digits if word[0] in "hw" else digits[1:]
        out.append(word[0].upper() + rest.replace("0", "")[: _LENGTH - 1].ljust(_LENGTH - 1, "0"))
    return out


def soundex_tokens(values: Sequence[str]) -> list[str]:
    """Soundex of every word of each value, sorted and joined by spaces.

    Word order does not matter ("smith john" and "jon smyth" share ``J500 S530``), so
    a whole name written "Last, First" or "First Last" gets the same code.

    Args:
        values: Whole names, folded, words separated by spaces.

    Returns:
        One code per value (``""`` for ``""``).
    """
    words = [value.split() for value in values]
    codes = iter(soundex([word for split in words for word in split]))
    return [" ".join(sorted(next(codes) for _ in split)) for split in words]
