"""Name and street pools of the benchmark generator, drawn once per seed.

Faker is called a few thousand times per locale here, never per record: the generator
then picks from these pools with numpy. Countries, cities, brands, Chinese syllables and
legal forms come from the sandbox generator (:mod:`sync.sandbox.generator`), so the
benchmark data speaks the same languages as the sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from faker import Faker

from sync.sandbox.generator import (
    _BRANDS,
    _CN_GIVEN_NAMES,
    _CN_SURNAMES,
    _COUNTRIES,
    _Country,
)

__all__ = ["COUNTRY_WEIGHTS", "CountryPools", "Pools", "build_pools", "zipf_weights"]

# Shares of the customer base per country; about 8 % Chinese.
COUNTRY_WEIGHTS = {"DE": 28, "GB": 16, "US": 24, "FR": 12, "NL": 12, "CN": 8}

# Synthetic brands ("Hydroflow", "Ferrotec") widen the sandbox's 40 brands to ~640.
_BRAND_HEADS = (
    "Aqua", "Ferro", "Multi", "Inter", "Pro", "Uni", "Opti", "Hydro", "Therm", "Elektro",
    "Mecha", "Poly", "Flex", "Dyna", "Sol", "Terra", "Quadra", "Omni", "Acti", "Lumi",
    "Cryo", "Metal", "Techno", "Alpha", "Neo", "Nord", "Sud", "West", "Ost", "Euro",
)  # fmt: skip
_BRAND_TAILS = (
    "tec", "tronic", "plan", "form", "flow", "matic", "line", "tek", "werk", "med",
    "max", "net", "star", "pro", "lux", "sys", "dyn", "cor", "ion", "gen",
)  # fmt: skip

# Templates that scale to a million companies, beside each country's sandbox templates.
_WIDE_TEMPLATES = ("{last}-{last2} {industry}", "{first} {last} {industry}")
_POOL_DRAWS = 4000


@dataclass(frozen=True)
class CountryPools:
    """What records of one country are made of.

    Attributes:
        country: The sandbox's country (cities, legal forms, phone and tax formats).
        last_names: Family names, most common first.
        first_names: Given names, most common first.
        streets: Street names.
        templates: Company name templates (``{last}``, ``{last2}``, ``{first}``,
            ``{brand}``, ``{industry}``); empty for China, whose names are built apart.
        pinyin: Chinese family and given names → their pinyin (China only).
    """

    country: _Country
    last_names: tuple[str, ...]
    first_names: tuple[str, ...]
    streets: tuple[str, ...]
    templates: tuple[str, ...]
    pinyin: dict[str, str]


@dataclass(frozen=True)
class Pools:
    """All pools, per country code, plus the brands shared by all countries."""

    countries: dict[str, CountryPools]
    brands: tuple[str, ...]


def zipf_weights(size: int, exponent: float = 0.6) -> npt.NDArray[np.float64]:
    """Probabilities ``~ 1 / rank**exponent``: a few very common values, a long tail."""
    weights = 1.0 / np.arange(1, size + 1, dtype=np.float64) ** exponent
    return weights / weights.sum()


def _distinct(values: list[str]) -> tuple[str, ...]:
    """Distinct values in order of first appearance (Faker draws common names first)."""
    return tuple(dict.fromkeys(value for value in values if value))


def _chinese_given_names() -> dict[str, str]:
    """Given names → pinyin: the sandbox's, plus two-character combinations of its
    single-character names ("伟" + "明" → "伟明", "Weiming")."""
    names = dict(_CN_GIVEN_NAMES)
    singles = [(name, pinyin) for name, pinyin in _CN_GIVEN_NAMES if len(name) == 1]
    for first, first_pinyin in singles:
        for second, second_pinyin in singles:
            if first != second:
                names[first + second] = first_pinyin + second_pinyin.lower()
    return names


def _country_pools(country: _Country, seed: int, index: int) -> CountryPools:
    fake = Faker(country.locale)
    fake.seed_instance(seed * 101 + index)
    if country.code == "CN":
        given = _chinese_given_names()
        return CountryPools(
            country=country,
            last_names=tuple(name for name, _ in _CN_SURNAMES),
            first_names=tuple(given),
            streets=_distinct([fake.street_name() for _ in range(_POOL_DRAWS // 4)]),
            templates=(),
            pinyin={**dict(_CN_SURNAMES), **given},
        )
    return CountryPools(
        country=country,
        last_names=_distinct([fake.last_name() for _ in range(_POOL_DRAWS)]),
        first_names=_distinct([fake.first_name() for _ in range(_POOL_DRAWS)]),
        streets=_distinct([fake.street_name() for _ in range(_POOL_DRAWS // 4)]),
        templates=country.name_templates + _WIDE_TEMPLATES,
        pinyin={},
    )


def build_pools(seed: int) -> Pools:
    """Draw the pools of every country from seeded Faker instances.

    Args:
        seed: The generator seed; one seed always gives the same pools.

    Returns:
        The pools per country code and the brand list.
    """
    countries = {
        country.code: _country_pools(country, seed, index)
        for index, country in enumerate(_COUNTRIES)
    }
    synthetic = tuple(head + tail for head in _BRAND_HEADS for tail in _BRAND_TAILS)
    return Pools(countries=countries, brands=_BRANDS + synthetic)
