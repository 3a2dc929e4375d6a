"""The real-world customers behind the benchmark records: companies, branches, persons.

Each entity is drawn once with its true name, address, phone, e-mail, tax id and date of
birth; :mod:`bench.dedupe.generate` then renders one or more noisy records of it. Hard
negatives are planted here: namesake companies (same words, another legal form, often
the same city), companies with similar names (one word differs), branches sharing the
head office's base name, domain and usually its tax id, and persons with common names,
some in the same city as their namesake.

Noise-free building blocks (name structures, phones, postcodes, tax ids, domains) are the
sandbox generator's; this module only draws them at scale from pre-built pools.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np

from bench.dedupe.pools import COUNTRY_WEIGHTS, CountryPools, Pools, zipf_weights
from sync.sandbox.generator import (
    _CN_INDUSTRIES,
    _branch_name,
    _chinese_company_name,
    _ChineseName,
    _City,
    _company_domain,
    _LatinName,
    _new_mobile,
    _new_phone,
    _person_mail_local,
    _PersonName,
    _Phone,
    _postal_code,
    _tax_id,
    _weighted,
)

__all__ = ["Entity", "PopulationRates", "draw_population"]

NameParts = _LatinName | _ChineseName | _PersonName
_DOB_START = date(1940, 1, 1)
_DOB_DAYS = 65 * 365


@dataclass(frozen=True)
class PopulationRates:
    """Shares of the planted structure.

    Attributes:
        person: Share of entities that are natural persons.
        branched: Share of companies with one to three branches (own entities).
        namesake: Share of companies that reuse another company's words.
        similar_name: Share of companies named like another with one word changed.
        person_namesake: Share of persons named like another person in the same city.
    """

    person: float = 0.30
    branched: float = 0.03
    namesake: float = 0.015
    similar_name: float = 0.015
    person_namesake: float = 0.03


@dataclass(slots=True)
class Entity:
    """One real customer.

    Attributes:
        entity_id: The truth label shared by all its records.
        kind: ``"company"`` or ``"person"``.
        pools: Its country's pools (the country itself is ``pools.country``).
        city: Its city.
        name: Its name as structured parts (rendered per record with noise).
        street: Street name, without house number.
        house: House number.
        postcode: Postal code.
        phone: Phone number parts.
        email: Main e-mail address.
        domain: Company e-mail and web domain (``None`` for persons).
        tax_id: VAT / tax id (``None`` for persons).
        dob: ISO date of birth (persons only).
    """

    entity_id: str
    kind: str
    pools: CountryPools
    city: _City
    name: NameParts
    street: str
    house: str
    postcode: str
    phone: _Phone
    email: str
    domain: str | None
    tax_id: str | None
    dob: str | None


@dataclass(frozen=True)
class _Place:
    city: _City
    street: str
    house: str
    postcode: str


class _Draw:
    """Seeded draws from the pools; Zipf-weighted so common names are common.

    With exponent 0.6 the most common family name has a share of about 3 % in its
    country and the most common given name about 2 %, as in real populations.
    """

    def __init__(self, pools: Pools, rng: random.Random) -> None:
        self.pools = pools
        self.rng = rng
        self._cum: dict[tuple[str, str], list[float]] = {}
        for code, country in pools.countries.items():
            for label, values in (("last", country.last_names), ("first", country.first_names)):
                self._cum[code, label] = list(np.cumsum(zipf_weights(len(values))))

    def last(self, pools: CountryPools) -> str:
        cum = self._cum[pools.country.code, "last"]
        return self.rng.choices(pools.last_names, cum_weights=cum)[0]

    def first(self, pools: CountryPools) -> str:
        cum = self._cum[pools.country.code, "first"]
        return self.rng.choices(pools.first_names, cum_weights=cum)[0]

    def latin_company(self, pools: CountryPools) -> _LatinName:
        rng = self.rng
        base = rng.choice(pools.templates).format(
            last=self.last(pools),
            last2=self.last(pools),
            first=self.first(pools),
            brand=rng.choice(self.pools.brands),
            industry=rng.choice(pools.country.industries),
        )
        return _LatinName(tuple(base.split()), _weighted(rng, pools.country.legal_forms))

    def person(self, pools: CountryPools) -> _PersonName:
        first, last = self.first(pools), self.last(pools)
        if pools.pinyin:
            return _PersonName(first, last, pools.pinyin[first], pools.pinyin[last])
        return _PersonName(first, last)

    def dob(self) -> str:
        return (_DOB_START + timedelta(days=self.rng.randrange(_DOB_DAYS))).isoformat()


class _Builder:
    """Draws entities one by one and remembers what hard negatives can copy."""

    def __init__(self, pools: Pools, rates: PopulationRates, rng: random.Random) -> None:
        self.draw = _Draw(pools, rng)
        self.rates = rates
        self.rng = rng
        self.entities: list[Entity] = []
        self.names: set[str] = set()
        self.domains: set[str] = set()
        self.emails: set[str] = set()
        self.companies: dict[str, list[Entity]] = {}
        self.persons: dict[str, list[Entity]] = {}

    def _place(self, pools: CountryPools, city: _City | None = None) -> _Place:
        rng = self.rng
        city = city or rng.choice(pools.country.cities)
        return _Place(
            city=city,
            street=rng.choice(pools.streets),
            house=str(rng.randint(1, 250)),
            postcode=_postal_code(pools.country, city, rng),
        )

    def _unique_email(self, local: str, domain: str) -> str:
        """An address no other entity has: a mailbox belongs to one customer."""
        email = f"{local}@{domain}"
        while email in self.emails:
            email = f"{local}{self.rng.randrange(10, 1000)}@{domain}"
        self.emails.add(email)
        return email

    def _add(
        self,
        kind: str,
        pools: CountryPools,
        place: _Place,
        name: NameParts,
        phone: _Phone,
        email: str,
        domain: str | None = None,
        tax_id: str | None = None,
        dob: str | None = None,
    ) -> Entity:
        entity = Entity(
            entity_id=f"E{len(self.entities) + 1:07d}",
            kind=kind,
            pools=pools,
            city=place.city,
            name=name,
            street=place.street,
            house=place.house,
            postcode=place.postcode,
            phone=phone,
            email=email,
            domain=domain,
            tax_id=tax_id,
            dob=dob,
        )
        self.entities.append(entity)
        return entity

    def _company_name(self, pools: CountryPools, city: _City) -> tuple[NameParts, _City]:
        """A fresh unique name, or a planted namesake / similar name of another company."""
        rng, rates = self.rng, self.rates
        peers = self.companies.get(pools.country.code, [])
        roll = rng.random()
        if peers and roll < rates.namesake + rates.similar_name:
            other = rng.choice(peers)
            same_city = other.city if rng.random() < 0.5 else city
            namesake = roll < rates.namesake
            return _hard_negative_name(other.name, pools, self.draw, namesake), same_city
        for _ in range(10):
            parts: NameParts
            if pools.country.code == "CN":
                parts = _chinese_company_name(city, rng)
            else:
                parts = self.draw.latin_company(pools)
            if parts.render() not in self.names:
                break
        self.names.add(parts.render())
        return parts, city

    def company(self, pools: CountryPools) -> Entity:
        rng, country = self.rng, pools.country
        parts, city = self._company_name(pools, rng.choice(country.cities))
        domain = _company_domain(parts, country, self.domains)
        entity = self._add(
            "company",
            pools,
            self._place(pools, city),
            parts,
            _new_phone(country, city, rng),
            self._unique_email(rng.choice(country.mailboxes), domain),
            domain=domain,
            tax_id=_tax_id(country, rng),
        )
        self.companies.setdefault(country.code, []).append(entity)
        if rng.random() < self.rates.branched:
            for _ in range(rng.choice((1, 1, 2, 3))):
                self.branch(entity)
        return entity

    def branch(self, hq: Entity) -> Entity:
        """A branch or plant of ``hq``: another entity with the same base name."""
        rng, country = self.rng, hq.pools.country
        city = rng.choice([c for c in country.cities if c != hq.city] or list(country.cities))
        mailbox = "".join(ch for ch in (city.romanized or city.name).lower() if ch.isalnum())
        return self._add(
            "company",
            hq.pools,
            self._place(hq.pools, city),
            _branch_name(hq.name, country, city, rng),
            _new_phone(country, city, rng),
            self._unique_email(mailbox, hq.domain or ""),
            domain=hq.domain,
            # Branches usually share the group's VAT registration: same tax id, other entity.
            tax_id=hq.tax_id if rng.random() < 0.8 else _tax_id(country, rng),
        )

    def person(self, pools: CountryPools) -> Entity:
        rng, country = self.rng, pools.country
        peers = self.persons.setdefault(country.code, [])
        name = self.draw.person(pools)
        place = self._place(pools)
        if peers and rng.random() < self.rates.person_namesake:
            # A namesake in the same city: a hard negative for person matching.
            other = rng.choice(peers)
            assert isinstance(other.name, _PersonName)
            name, place = other.name, self._place(pools, other.city)
        new_number = _new_mobile if rng.random() < 0.7 else _new_phone
        entity = self._add(
            "person",
            pools,
            place,
            name,
            new_number(country, place.city, rng),
            self._unique_email(_person_mail_local(name, rng), rng.choice(country.free_mail)),
            dob=self.draw.dob(),
        )
        peers.append(entity)
        return entity


def _hard_negative_name(
    other: NameParts, pools: CountryPools, draw: _Draw, namesake: bool
) -> NameParts:
    """Another company's name: same words under another legal form (a namesake), or
    one word replaced (a similar name: "Meyer Hydraulik" → "Meyer Antriebstechnik")."""
    rng = draw.rng
    if isinstance(other, _ChineseName):
        if namesake:
            return replace(other, legal=_weighted(rng, pools.country.legal_forms), site=None)
        industry, industry_pinyin, industry_english = rng.choice(_CN_INDUSTRIES)
        return replace(
            other,
            industry=industry,
            industry_pinyin=industry_pinyin,
            industry_english=industry_english,
            site=None,
            site_english=None,
        )
    assert isinstance(other, _LatinName)
    if namesake:
        forms = [form for form, _ in pools.country.legal_forms if form != other.legal]
        return replace(other, legal=rng.choice(forms or [other.legal]), site=None)
    words = list(other.words)
    if len(words) > 1 and rng.random() < 0.5:
        words[-1] = rng.choice(pools.country.industries).split()[-1]
    else:
        words[0] = draw.last(pools)
    return replace(other, words=tuple(words), site=None)


def draw_population(
    count: int, pools: Pools, rng: random.Random, rates: PopulationRates | None = None
) -> list[Entity]:
    """Draw ``count`` real customers (branches included in the count).

    Args:
        count: Number of entities to draw.
        pools: The pools of :func:`bench.dedupe.pools.build_pools`.
        rng: The seeded random stream.
        rates: Shares of persons and planted hard negatives.

    Returns:
        The entities, in drawing order, with ids ``E0000001``, ``E0000002``, …
    """
    builder = _Builder(pools, rates or PopulationRates(), rng)
    codes = list(COUNTRY_WEIGHTS)
    weights = list(COUNTRY_WEIGHTS.values())
    while len(builder.entities) < count:
        pools_of = pools.countries[rng.choices(codes, weights=weights)[0]]
        if rng.random() < builder.rates.person:
            builder.person(pools_of)
        else:
            builder.company(pools_of)
    return builder.entities[:count]
