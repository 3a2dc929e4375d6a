"""Deterministic generator of the sandbox CRM (``crm.db``) and ERP (``erp.db``).

``seed_sandboxes`` first draws a population of real-world entities (companies, their
branches, private persons, contact persons, products), then renders each entity into
records of each system with the mess real systems have: duplicates with legal-form,
abbreviation, typo, word-order, case and punctuation variants; Chinese names with
full-width characters and region brackets; missing fields; other addresses; format noise
in phones, tax ids, SKUs and specs; and a few planted bad records. ``truth.csv`` maps
every customer, contact and product record to its real entity and names its defect.

Every random choice comes from ``random.Random`` streams and Faker instances seeded from
the seed, and every timestamp is an offset from a fixed epoch, so one seed always gives
the same tables. The layout is in ``docs/sandbox.md``.
"""

from __future__ import annotations

import csv
import random
import re
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from faker import Faker
from stdnum import luhn
from stdnum.cn import uscc
from stdnum.fr import siren
from stdnum.gb import vat as gb_vat
from stdnum.iso7064 import mod_11_10
from stdnum.nl import btw

from sync.sandbox.schema import CRM_TABLES, ERP_TABLES, create_crm_schema, create_erp_schema

CRM_SYSTEM = "sandbox_crm"
ERP_SYSTEM = "sandbox_erp"
TRUTH_COLUMNS = ("system", "entity", "source_id", "entity_id", "defect")

# All timestamps are offsets from this fixed instant, never from the wall clock.
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
_MINUTES_IN_YEAR = 365 * 24 * 60

_CENT = Decimal("0.01")
_FX_PER_EUR = {
    "EUR": Decimal("1"),
    "GBP": Decimal("0.85"),
    "USD": Decimal("1.08"),
    "CNY": Decimal("7.80"),
}
_UNKNOWN_CURRENCIES = ("XXY", "EURO", "XYZ", "DOLLAR")
_PAYMENT_TERMS = (
    ("NET30", 50),
    ("NET60", 18),
    ("NET14", 10),
    ("NET45", 10),
    ("NET90", 7),
    ("PREPAID", 5),
)

# Rates of the planted mess (shares of entities or records).
_BRANCHED_COMPANY_SHARE = 0.05
_PERSON_SHARE = 0.15
_CRM_DUPLICATED_SHARE = 0.25
_ERP_PRESENT_SHARE = 0.70
_ERP_DUPLICATED_SHARE = 0.10
_ERP_ONLY_SHARE = 0.05
_CONTACT_DUPLICATED_SHARE = 0.10
_CRM_BAD_SHARE = 0.03
_ERP_BAD_SHARE = 0.02
_PRODUCT_BAD_SHARE = 0.02
_CONTACT_BAD_SHARE = 0.01
_NAMESAKE_SHARE = 0.01
_CHINESE_ENGLISH_NAME_SHARE = 0.10


# --------------------------------------------------------------------------------------
# Countries, cities and name material
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _City:
    """A real city with what addresses and phone numbers there look like."""

    name: str
    region: str
    region_code: str
    postal_prefixes: tuple[str, ...]
    area_code: str
    romanized: str = ""


@dataclass(frozen=True)
class _Country:
    """Everything the generator needs to know to make records of one country."""

    code: str
    locale: str
    currency: str
    weight: int
    calling_code: str
    trunk: str
    tld: str
    legal_forms: tuple[tuple[str, int], ...]
    cities: tuple[_City, ...]
    industries: tuple[str, ...]
    name_templates: tuple[str, ...]
    site_suffixes: tuple[str, ...]
    job_titles: tuple[str, ...]
    free_mail: tuple[str, ...]
    mobile_prefixes: tuple[str, ...]
    national_length: int  # digits of area code + subscriber number
    house_number_first: bool
    mailboxes: tuple[str, ...]


_DE = _Country(
    code="DE",
    locale="de_DE",
    currency="EUR",
    weight=27,
    calling_code="49",
    trunk="0",
    tld="de",
    legal_forms=(("GmbH", 60), ("AG", 15), ("GmbH & Co. KG", 15), ("KG", 10)),
    cities=(
        _City("Hamburg", "Hamburg", "HH", ("20", "21", "22"), "40"),
        _City("Berlin", "Berlin", "BE", ("10", "12", "13"), "30"),
        _City("München", "Bayern", "BY", ("80", "81"), "89"),
        _City("Köln", "Nordrhein-Westfalen", "NW", ("50", "51"), "221"),
        _City("Frankfurt am Main", "Hessen", "HE", ("60",), "69"),
        _City("Stuttgart", "Baden-Württemberg", "BW", ("70",), "711"),
        _City("Düsseldorf", "Nordrhein-Westfalen", "NW", ("40",), "211"),
        _City("Hannover", "Niedersachsen", "NI", ("30",), "511"),
        _City("Nürnberg", "Bayern", "BY", ("90",), "911"),
        _City("Bremen", "Bremen", "HB", ("28",), "421"),
        _City("Leipzig", "Sachsen", "SN", ("04",), "341"),
        _City("Dortmund", "Nordrhein-Westfalen", "NW", ("44",), "231"),
        _City("Mannheim", "Baden-Württemberg", "BW", ("68",), "621"),
        _City("Bielefeld", "Nordrhein-Westfalen", "NW", ("33",), "521"),
    ),
    industries=(
        "Pumpentechnik",
        "Maschinenbau",
        "Verpackungen",
        "Antriebstechnik",
        "Armaturen",
        "Kunststofftechnik",
        "Metallbau",
        "Fördertechnik",
        "Dichtungstechnik",
        "Anlagenbau",
        "Hydraulik",
        "Industrietechnik",
    ),
    name_templates=(
        "{last} {industry}",
        "{last} {industry}",
        "{brand} {industry}",
        "{last} & {last2}",
        "{brand} International",
        "{last} Maschinenbau",
    ),
    site_suffixes=("Werk {city}", "Niederlassung {city}", "Zweigniederlassung {city}"),
    job_titles=(
        "Einkaufsleiter",
        "Geschäftsführer",
        "Technischer Leiter",
        "Leiterin Einkauf",
        "Buchhaltung",
        "Produktionsleiter",
        "Sachbearbeiterin Einkauf",
    ),
    free_mail=("web.de", "gmx.de", "t-online.de", "gmail.com"),
    mobile_prefixes=("151", "160", "170", "176"),
    national_length=10,
    house_number_first=False,
    mailboxes=("info", "kontakt", "einkauf", "office"),
)
_GB = _Country(
    code="GB",
    locale="en_GB",
    currency="GBP",
    weight=15,
    calling_code="44",
    trunk="0",
    tld="co.uk",
    legal_forms=(("Ltd", 55), ("Limited", 30), ("PLC", 15)),
    cities=(
        _City("London", "Greater London", "", ("EC1V", "SE1", "N7", "W1T", "E14"), "20"),
        _City("Manchester", "Greater Manchester", "", ("M1", "M4", "M15"), "161"),
        _City("Birmingham", "West Midlands", "", ("B1", "B5", "B12"), "121"),
        _City("Leeds", "West Yorkshire", "", ("LS1", "LS11"), "113"),
        _City("Glasgow", "Glasgow City", "", ("G1", "G2"), "141"),
        _City("Bristol", "Bristol", "", ("BS1", "BS2"), "117"),
        _City("Sheffield", "South Yorkshire", "", ("S1", "S9"), "114"),
        _City("Liverpool", "Merseyside", "", ("L1", "L3"), "151"),
        _City("Nottingham", "Nottinghamshire", "", ("NG1", "NG7"), "115"),
    ),
    industries=(
        "Engineering",
        "Manufacturing",
        "Packaging",
        "Industrial Supplies",
        "Fluid Systems",
        "Components",
        "Technologies",
        "Bearings",
        "Plastics",
    ),
    name_templates=(
        "{last} {industry}",
        "{brand} {industry}",
        "{last} & Sons",
        "{last} and {last2}",
        "{brand} International",
        "{last} Manufacturing",
    ),
    site_suffixes=("– {city} plant", "({city} branch)", "{city} Depot"),
    job_titles=(
        "Purchasing Manager",
        "Procurement Lead",
        "Finance Director",
        "Plant Manager",
        "Operations Director",
        "Buyer",
        "Accounts Payable",
    ),
    free_mail=("gmail.com", "outlook.com", "yahoo.co.uk", "btinternet.com"),
    mobile_prefixes=("7700", "7911", "7825"),
    national_length=10,
    house_number_first=True,
    mailboxes=("info", "sales", "enquiries", "accounts"),
)
_US = _Country(
    code="US",
    locale="en_US",
    currency="USD",
    weight=24,
    calling_code="1",
    trunk="",
    tld="com",
    legal_forms=(("Inc.", 45), ("LLC", 35), ("Corp.", 20)),
    cities=(
        _City("New York", "New York", "NY", ("100", "101"), "212"),
        _City("Chicago", "Illinois", "IL", ("606",), "312"),
        _City("Houston", "Texas", "TX", ("770",), "713"),
        _City("Los Angeles", "California", "CA", ("900",), "213"),
        _City("Detroit", "Michigan", "MI", ("482",), "313"),
        _City("Cleveland", "Ohio", "OH", ("441",), "216"),
        _City("Pittsburgh", "Pennsylvania", "PA", ("152",), "412"),
        _City("Atlanta", "Georgia", "GA", ("303",), "404"),
        _City("Milwaukee", "Wisconsin", "WI", ("532",), "414"),
        _City("Charlotte", "North Carolina", "NC", ("282",), "704"),
        _City("Seattle", "Washington", "WA", ("981",), "206"),
    ),
    industries=(
        "Industries",
        "Manufacturing",
        "Technologies",
        "Industrial Supply",
        "Fluid Power",
        "Packaging Solutions",
        "Components",
        "Systems",
        "Pump Company",
    ),
    name_templates=(
        "{last} {industry}",
        "{brand} {industry}",
        "{last} & {last2}",
        "{brand} Manufacturing",
        "{brand} International",
        "{last} Industries",
    ),
    site_suffixes=("- {city} Plant", "{city} Division", "({city} facility)"),
    job_titles=(
        "Purchasing Manager",
        "VP Operations",
        "Controller",
        "Plant Manager",
        "Procurement Specialist",
        "Buyer",
        "Accounts Payable Clerk",
    ),
    free_mail=("gmail.com", "yahoo.com", "outlook.com", "aol.com"),
    mobile_prefixes=(),
    national_length=10,
    house_number_first=True,
    mailboxes=("info", "sales", "orders", "ap"),
)
_FR = _Country(
    code="FR",
    locale="fr_FR",
    currency="EUR",
    weight=12,
    calling_code="33",
    trunk="0",
    tld="fr",
    legal_forms=(("S.A.", 30), ("SARL", 40), ("SAS", 30)),
    cities=(
        _City("Paris", "Île-de-France", "75", ("75",), "1"),
        _City("Lyon", "Auvergne-Rhône-Alpes", "69", ("69",), "4"),
        _City("Marseille", "Provence-Alpes-Côte d'Azur", "13", ("13",), "4"),
        _City("Toulouse", "Occitanie", "31", ("31",), "5"),
        _City("Lille", "Hauts-de-France", "59", ("59",), "3"),
        _City("Nantes", "Pays de la Loire", "44", ("44",), "2"),
        _City("Bordeaux", "Nouvelle-Aquitaine", "33", ("33",), "5"),
        _City("Strasbourg", "Grand Est", "67", ("67",), "3"),
        _City("Grenoble", "Auvergne-Rhône-Alpes", "38", ("38",), "4"),
    ),
    industries=(
        "Industrie",
        "Emballages",
        "Mécanique",
        "Robinetterie",
        "Technologies",
        "Hydraulique",
        "Équipements Industriels",
        "Plasturgie",
    ),
    name_templates=(
        "{last} {industry}",
        "Ateliers {last}",
        "{last} et Fils",
        "Établissements {last}",
        "{brand} {industry}",
    ),
    site_suffixes=("Usine de {city}", "Agence de {city}", "Établissement de {city}"),
    job_titles=(
        "Responsable achats",
        "Directeur général",
        "Acheteuse",
        "Directeur d'usine",
        "Comptable",
        "Responsable logistique",
    ),
    free_mail=("orange.fr", "free.fr", "gmail.com", "laposte.net"),
    mobile_prefixes=("6", "7"),
    national_length=9,
    house_number_first=True,
    mailboxes=("contact", "info", "commercial", "achats"),
)
_NL = _Country(
    code="NL",
    locale="nl_NL",
    currency="EUR",
    weight=12,
    calling_code="31",
    trunk="0",
    tld="nl",
    legal_forms=(("B.V.", 80), ("N.V.", 20)),
    cities=(
        _City("Amsterdam", "Noord-Holland", "NH", ("10",), "20"),
        _City("Rotterdam", "Zuid-Holland", "ZH", ("30",), "10"),
        _City("Den Haag", "Zuid-Holland", "ZH", ("25",), "70"),
        _City("Utrecht", "Utrecht", "UT", ("35",), "30"),
        _City("Eindhoven", "Noord-Brabant", "NB", ("56",), "40"),
        _City("Groningen", "Groningen", "GR", ("97",), "50"),
        _City("Tilburg", "Noord-Brabant", "NB", ("50",), "13"),
        _City("Enschede", "Overijssel", "OV", ("75",), "53"),
        _City("Arnhem", "Gelderland", "GE", ("68",), "26"),
    ),
    industries=(
        "Techniek",
        "Verpakkingen",
        "Machinebouw",
        "Installatietechniek",
        "Industrie",
        "Pompen",
        "Kunststoffen",
    ),
    name_templates=(
        "{last} {industry}",
        "{brand} {industry}",
        "{last} & Zonen",
        "{last} en {last2}",
    ),
    site_suffixes=("Vestiging {city}", "Fabriek {city}"),
    job_titles=(
        "Inkoper",
        "Directeur",
        "Hoofd inkoop",
        "Bedrijfsleider",
        "Financieel manager",
        "Productieleider",
    ),
    free_mail=("gmail.com", "hotmail.nl", "ziggo.nl", "kpnmail.nl"),
    mobile_prefixes=("6",),
    national_length=9,
    house_number_first=False,
    mailboxes=("info", "verkoop", "inkoop", "administratie"),
)
_CN = _Country(
    code="CN",
    locale="zh_CN",
    currency="CNY",
    weight=10,
    calling_code="86",
    trunk="0",
    tld="com.cn",
    legal_forms=(("有限公司", 60), ("股份有限公司", 25), ("有限责任公司", 15)),
    cities=(
        _City("北京", "北京市", "BJ", ("100",), "10", "Beijing"),
        _City("上海", "上海市", "SH", ("200",), "21", "Shanghai"),
        _City("深圳", "广东省", "GD", ("518",), "755", "Shenzhen"),
        _City("广州", "广东省", "GD", ("510",), "20", "Guangzhou"),
        _City("苏州", "江苏省", "JS", ("215",), "512", "Suzhou"),
        _City("杭州", "浙江省", "ZJ", ("310",), "571", "Hangzhou"),
        _City("宁波", "浙江省", "ZJ", ("315",), "574", "Ningbo"),
        _City("天津", "天津市", "TJ", ("300",), "22", "Tianjin"),
        _City("青岛", "山东省", "SD", ("266",), "532", "Qingdao"),
        _City("无锡", "江苏省", "JS", ("214",), "510", "Wuxi"),
        _City("成都", "四川省", "SC", ("610",), "28", "Chengdu"),
    ),
    industries=(),
    name_templates=(),
    site_suffixes=("{city}分公司", "{city}工厂"),
    job_titles=("采购经理", "总经理", "财务主管", "厂长", "技术总监", "销售代表"),
    free_mail=("qq.com", "163.com", "126.com"),
    mobile_prefixes=("138", "139", "186", "135"),
    national_length=0,
    house_number_first=False,
    mailboxes=("sales", "info", "service"),
)
_COUNTRIES = (_DE, _GB, _US, _FR, _NL, _CN)
_COUNTRY_BY_CODE = {country.code: country for country in _COUNTRIES}

_BRANDS = (
    "Apex",
    "Atlas",
    "Nordstern",
    "Vector",
    "Orion",
    "Summit",
    "Meridian",
    "Polaris",
    "Helix",
    "Triton",
    "Vertex",
    "Nova",
    "Astra",
    "Kronos",
    "Titan",
    "Delta",
    "Sigma",
    "Falcon",
    "Phoenix",
    "Zenith",
    "Alpine",
    "Baltic",
    "Hanse",
    "Pioneer",
    "Liberty",
    "Keystone",
    "Granite",
    "Redwood",
    "Cascade",
    "Northfield",
    "Bluewater",
    "Ironbridge",
    "Solent",
    "Rhône",
    "Eurotec",
    "Primus",
    "Quantum",
    "Aurora",
    "Stella",
    "Viking",
)

# Chinese brand syllables and industries with their pinyin (and English) renderings.
_CN_SYLLABLES = (
    ("华", "hua"),
    ("盛", "sheng"),
    ("永", "yong"),
    ("新", "xin"),
    ("宏", "hong"),
    ("达", "da"),
    ("金", "jin"),
    ("泰", "tai"),
    ("恒", "heng"),
    ("信", "xin"),
    ("天", "tian"),
    ("成", "cheng"),
    ("瑞", "rui"),
    ("丰", "feng"),
    ("东", "dong"),
    ("方", "fang"),
    ("远", "yuan"),
    ("中", "zhong"),
    ("联", "lian"),
    ("海", "hai"),
    ("通", "tong"),
    ("鼎", "ding"),
    ("正", "zheng"),
    ("博", "bo"),
    ("安", "an"),
    ("凯", "kai"),
    ("宇", "yu"),
    ("明", "ming"),
    ("阳", "yang"),
    ("光", "guang"),
    ("嘉", "jia"),
    ("富", "fu"),
    ("鑫", "xin"),
    ("源", "yuan"),
    ("力", "li"),
    ("百", "bai"),
    ("川", "chuan"),
    ("德", "de"),
    ("兴", "xing"),
    ("隆", "long"),
    ("昌", "chang"),
    ("锦", "jin"),
    ("润", "run"),
)
_CN_INDUSTRIES = (
    ("机械", "jixie", "Machinery"),
    ("科技", "keji", "Technology"),
    ("包装", "baozhuang", "Packaging"),
    ("化工", "huagong", "Chemical"),
    ("电子", "dianzi", "Electronics"),
    ("阀门", "famen", "Valve"),
    ("泵业", "bengye", "Pump"),
    ("轴承", "zhoucheng", "Bearing"),
    ("实业", "shiye", "Industrial"),
    ("精密机械", "jingmijixie", "Precision Machinery"),
    ("新材料", "xincailiao", "New Material"),
    ("流体设备", "liutishebei", "Fluid Equipment"),
)
_CN_SURNAMES = (
    ("王", "Wang"),
    ("李", "Li"),
    ("张", "Zhang"),
    ("刘", "Liu"),
    ("陈", "Chen"),
    ("杨", "Yang"),
    ("黄", "Huang"),
    ("赵", "Zhao"),
    ("吴", "Wu"),
    ("周", "Zhou"),
    ("徐", "Xu"),
    ("孙", "Sun"),
    ("马", "Ma"),
    ("朱", "Zhu"),
    ("胡", "Hu"),
    ("郭", "Guo"),
    ("何", "He"),
    ("林", "Lin"),
    ("高", "Gao"),
    ("罗", "Luo"),
)
_CN_GIVEN_NAMES = (
    ("伟", "Wei"),
    ("芳", "Fang"),
    ("娜", "Na"),
    ("敏", "Min"),
    ("静", "Jing"),
    ("丽", "Li"),
    ("强", "Qiang"),
    ("磊", "Lei"),
    ("军", "Jun"),
    ("洋", "Yang"),
    ("勇", "Yong"),
    ("艳", "Yan"),
    ("杰", "Jie"),
    ("涛", "Tao"),
    ("超", "Chao"),
    ("秀英", "Xiuying"),
    ("建国", "Jianguo"),
    ("志强", "Zhiqiang"),
    ("晓明", "Xiaoming"),
    ("海燕", "Haiyan"),
    ("国华", "Guohua"),
)

_SALES_REPS = (
    "anna.becker",
    "lukas.wagner",
    "sophie.martin",
    "james.walker",
    "emma.jansen",
    "li.na",
    "michael.brown",
    "claire.dubois",
    "jonas.weber",
    "olivia.smith",
    "pieter.devries",
    "zhang.wei",
)
_SALES_REP_DOMAIN = "crmsync-sandbox.example"

# Legal forms and the spellings the same form takes in other records.
_LEGAL_SYNONYMS: dict[str, tuple[str, ...]] = {
    "GmbH": ("Gesellschaft mit beschränkter Haftung", "GmbH.", "Gmbh", "G.m.b.H."),
    "AG": ("Aktiengesellschaft", "A.G."),
    "GmbH & Co. KG": ("GmbH & Co KG", "GmbH u. Co. KG", "GmbH + Co. KG"),
    "KG": ("Kommanditgesellschaft", "K.G."),
    "Ltd": ("Limited", "Ltd.", "LTD"),
    "Limited": ("Ltd", "Ltd."),
    "PLC": ("plc", "Public Limited Company", "P.L.C."),
    "Inc.": ("Inc", "Incorporated"),
    "LLC": ("L.L.C.", "Llc", "Limited Liability Company"),
    "Corp.": ("Corporation", "Corp"),
    "S.A.": ("SA", "Société Anonyme", "S.A"),
    "SARL": ("S.A.R.L.", "Sarl", "Société à responsabilité limitée"),
    "SAS": ("S.A.S.", "Société par actions simplifiée"),
    "B.V.": ("BV", "B.V", "Besloten Vennootschap"),
    "N.V.": ("NV", "Naamloze Vennootschap"),
    "有限公司": ("股份有限公司", "有限责任公司"),
    "股份有限公司": ("有限公司",),
    "有限责任公司": ("有限公司",),
}
_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "International": ("Intl", "Int'l", "Intl."),
    "Manufacturing": ("Mfg", "Mfg."),
    "Technologies": ("Tech", "Techn."),
    "Industries": ("Ind.", "Inds"),
    "Industrial": ("Ind.", "Indl"),
    "Engineering": ("Eng.", "Engg."),
    "Components": ("Comp.",),
    "Systems": ("Sys.",),
    "Company": ("Co.",),
    "&": ("and", "+"),
    "and": ("&",),
    "et": ("&",),
    "en": ("&",),
    "Zonen": ("Zn.",),
    "Maschinenbau": ("Masch.-Bau", "Maschinenb."),
    "Verpackungen": ("Verpackung",),
    "Établissements": ("Ets", "Éts."),
    "Techniek": ("Techn.",),
    "Industrie": ("Ind.",),
}
_CONNECTIVES = ("&", "and", "et", "en", "und")
_NAME_PARTICLES = (
    "van",
    "de",
    "der",
    "den",
    "von",
    "le",
    "la",
    "du",
    "het",
    "'t",
    "Ateliers",
    "Établissements",
)
_TRANSLITERATIONS = (
    ("ä", "ae"),
    ("ö", "oe"),
    ("ü", "ue"),
    ("Ä", "Ae"),
    ("Ö", "Oe"),
    ("Ü", "Ue"),
    ("ß", "ss"),
    ("é", "e"),
    ("è", "e"),
    ("ê", "e"),
    ("É", "E"),
    ("à", "a"),
    ("ç", "c"),
    ("ô", "o"),
    ("î", "i"),
    ("â", "a"),
)
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_STREET_ABBREVIATIONS = (
    ("straße", "str."),
    ("Straße", "Str."),
    ("strasse", "str."),
    ("Street", "St"),
    ("Road", "Rd"),
    ("Avenue", "Ave"),
    ("Lane", "Ln"),
    ("Drive", "Dr"),
    ("boulevard", "bd"),
    ("avenue", "av."),
    ("rue", "r."),
    ("straat", "str."),
    ("laan", "ln."),
    ("号", ""),
)


# --------------------------------------------------------------------------------------
# Small helpers: random streams, clock, money, text
# --------------------------------------------------------------------------------------


def _stream(seed: int, stage: str) -> random.Random:
    """Return the random stream of one generation stage.

    Separate streams keep stages independent: more contacts never shift the products.
    String seeds are hashed with SHA-512 by ``random``, so they are stable across runs.
    """
    return random.Random(f"crmsync-sandbox:{seed}:{stage}")


def _weighted(rng: random.Random, options: Sequence[tuple[str, int]]) -> str:
    """Pick one value from ``(value, weight)`` pairs."""
    values = [value for value, _ in options]
    weights = [weight for _, weight in options]
    return rng.choices(values, weights=weights)[0]


def _money(value: Decimal) -> str:
    """Format a decimal amount as the TEXT money of the sandbox, e.g. ``"1234.50"``."""
    return str(value.quantize(_CENT, rounding=ROUND_HALF_UP))


def _iso(moment: datetime) -> str:
    """Format a UTC instant as ISO-8601 text with offset."""
    return moment.isoformat()


class _Clock:
    """Seeded created/modified timestamps spread over 2025, with deliberate ties.

    Times fall on whole minutes, and about one record in twelve takes its modified time
    from a small set of "bulk update" instants, so cursor code meets equal timestamps.
    """

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._bulk_updates = sorted(
            EPOCH + timedelta(minutes=rng.randrange(300 * 24 * 60, _MINUTES_IN_YEAR))
            for _ in range(12)
        )

    def instant(self, start_minute: int = 0, end_minute: int = _MINUTES_IN_YEAR) -> datetime:
        """Return a whole-minute instant within ``[start_minute, end_minute)`` of 2025."""
        return EPOCH + timedelta(minutes=self._rng.randrange(start_minute, end_minute))

    def created_modified(self) -> tuple[str, str]:
        """Return ``(created, modified)`` ISO texts with ``modified >= created``."""
        created = self.instant(0, 330 * 24 * 60)
        roll = self._rng.random()
        if roll < 0.08:
            bulk = self._rng.choice(self._bulk_updates)
            if bulk >= created:
                return _iso(created), _iso(bulk)
        if roll < 0.3:
            return _iso(created), _iso(created)
        end = EPOCH + timedelta(minutes=_MINUTES_IN_YEAR - 1)
        span = int((end - created).total_seconds() // 60)
        modified = created + timedelta(minutes=self._rng.randrange(span + 1))
        return _iso(created), _iso(modified)

    def modified_after(self, moment: datetime, max_days: int) -> datetime:
        """Return a whole-minute instant up to ``max_days`` after ``moment``."""
        return moment + timedelta(minutes=self._rng.randrange(max_days * 24 * 60 + 1))


def _ascii_fold(text: str) -> str:
    """Transliterate German/French letters to ASCII (``Müller`` → ``Mueller``)."""
    for source, target in _TRANSLITERATIONS:
        text = text.replace(source, target)
    return text


def _slug(text: str) -> str:
    """Lower-case ASCII slug of a name, for e-mail domains and local parts."""
    return re.sub(r"[^a-z0-9]+", "", _ascii_fold(text).lower())


def _full_width(text: str) -> str:
    """Convert ASCII letters, digits, brackets and spaces to their full-width forms."""
    chars = []
    for char in text:
        code = ord(char)
        if char == " ":
            chars.append("\u3000")
        elif 0x21 <= code <= 0x7E:
            chars.append(chr(code + 0xFEE0))
        else:
            chars.append(char)
    return "".join(chars)


def _digits(rng: random.Random, count: int) -> str:
    """Return ``count`` random decimal digits."""
    return "".join(rng.choice("0123456789") for _ in range(count))


# --------------------------------------------------------------------------------------
# Names and their variants
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _LatinName:
    """A company name in Latin script: base words, legal form and branch site."""

    words: tuple[str, ...]
    legal: str | None
    site: str | None = None
    legal_separator: str = " "

    def render(self) -> str:
        """Return the name as one string."""
        text = " ".join(self.words)
        if self.legal:
            text += self.legal_separator + self.legal
        if self.site:
            text += " " + self.site
        return text


@dataclass(frozen=True)
class _ChineseName:
    """A Chinese company name: city, brand, industry, legal form and branch site."""

    city: _City
    brand: str
    brand_pinyin: str
    industry: str
    industry_pinyin: str
    industry_english: str
    legal: str | None
    site: str | None = None
    site_english: str | None = None
    city_style: str = "prefix"  # prefix | bracket | bracket_ascii | none

    def render(self) -> str:
        """Return the name as one string, e.g. ``上海华盛机械有限公司``."""
        core = self.brand + self.industry
        if self.city_style == "prefix":
            core = self.city.name + core
        elif self.city_style == "bracket":
            core += f"（{self.city.name}）"
        elif self.city_style == "bracket_ascii":
            core += f"({self.city.name})"
        return core + (self.legal or "") + (self.site or "")

    def render_english(self) -> str:
        """Return the English name the company uses abroad."""
        brand = self.brand_pinyin.capitalize() if self.brand_pinyin.islower() else self.brand
        text = f"{self.city.romanized} {brand} {self.industry_english} Co., Ltd."
        return text + (f" {self.site_english}" if self.site_english else "")


@dataclass(frozen=True)
class _PersonName:
    """The name of a natural person; Chinese persons carry their pinyin."""

    first: str
    last: str
    first_pinyin: str = ""
    last_pinyin: str = ""
    style: str = "first_last"  # first_last | last_first | initial | titled | pinyin | spaced

    @property
    def is_chinese(self) -> bool:
        """Whether the name is written in Chinese characters."""
        return bool(self.last_pinyin)

    def render(self) -> str:
        """Return the name as one string in its style."""
        if self.is_chinese:
            if self.style == "pinyin":
                return f"{self.first_pinyin} {self.last_pinyin}"
            if self.style == "spaced":
                return f"{self.last} {self.first}"
            return self.last + self.first
        if self.style == "last_first":
            return f"{self.last}, {self.first}"
        if self.style == "initial":
            return f"{self.first[0]}. {self.last}"
        if self.style == "titled":
            return f"Dr. {self.first} {self.last}"
        return f"{self.first} {self.last}"


_NameParts = _LatinName | _ChineseName | _PersonName


def _legal_synonym(legal: str | None, rng: random.Random) -> str | None:
    """Return another spelling of the same legal form (or the form itself)."""
    if legal is None or legal not in _LEGAL_SYNONYMS:
        return legal
    return rng.choice(_LEGAL_SYNONYMS[legal])


def _latin_abbreviate(name: _LatinName, rng: random.Random) -> _LatinName:
    """Abbreviate or expand one word (``International`` → ``Intl``, ``&`` → ``and``)."""
    candidates = [i for i, word in enumerate(name.words) if word in _ABBREVIATIONS]
    if not candidates:
        return replace(name, legal=_legal_synonym(name.legal, rng))
    index = rng.choice(candidates)
    words = list(name.words)
    words[index] = rng.choice(_ABBREVIATIONS[words[index]])
    return replace(name, words=tuple(words))


def _latin_swap_words(name: _LatinName, rng: random.Random) -> _LatinName:
    """Swap the word order (``Hoffmann Pumpentechnik`` → ``Pumpentechnik Hoffmann``)."""
    words = list(name.words)
    if len(words) < 2:
        return name
    for index, word in enumerate(words):
        if word in _CONNECTIVES and 0 < index < len(words) - 1:
            words = words[index + 1 :] + [word] + words[:index]
            return replace(name, words=tuple(words))
    return replace(name, words=tuple(words[1:] + words[:1]))


_LATIN_OPS: dict[str, Callable[[_LatinName, random.Random], _LatinName]] = {
    "legal_synonym": lambda name, rng: replace(name, legal=_legal_synonym(name.legal, rng)),
    "drop_legal": lambda name, rng: replace(name, legal=None),
    "abbreviate": _latin_abbreviate,
    "swap_words": _latin_swap_words,
    "comma_legal": lambda name, rng: replace(name, legal_separator=", "),
}
_CHINESE_OPS: dict[str, Callable[[_ChineseName, random.Random], _ChineseName]] = {
    "bracket_region": lambda name, rng: replace(name, city_style="bracket"),
    "bracket_region_ascii": lambda name, rng: replace(name, city_style="bracket_ascii"),
    "drop_region": lambda name, rng: replace(name, city_style="none"),
    "legal_synonym": lambda name, rng: replace(name, legal=_legal_synonym(name.legal, rng)),
    "short_name": lambda name, rng: replace(name, legal=None),
}
_PERSON_OPS: dict[str, Callable[[_PersonName, random.Random], _PersonName]] = {
    "last_first": lambda name, rng: replace(name, style="last_first"),
    "initial": lambda name, rng: replace(name, style="initial"),
    "titled": lambda name, rng: replace(name, style="titled"),
}
_CHINESE_PERSON_OPS: dict[str, Callable[[_PersonName, random.Random], _PersonName]] = {
    "pinyin": lambda name, rng: replace(name, style="pinyin"),
    "spaced": lambda name, rng: replace(name, style="spaced"),
}


def _keyboard_neighbour(char: str, rng: random.Random) -> str:
    """Return a letter next to ``char`` on a QWERTY keyboard, keeping its case."""
    lower = char.lower()
    for row in _KEYBOARD_ROWS:
        index = row.find(lower)
        if index >= 0:
            neighbours = row[max(index - 1, 0) : index] + row[index + 1 : index + 2]
            picked = rng.choice(neighbours)
            return picked.upper() if char.isupper() else picked
    return char


def _typo(text: str, rng: random.Random) -> str:
    """Plant one or two typing errors: a dropped, doubled, swapped or wrong letter."""
    for _ in range(rng.choice((1, 1, 1, 2))):
        positions = [i for i, char in enumerate(text) if char.isalpha()][1:]
        if len(positions) < 3:
            return text
        i = rng.choice(positions)
        kind = rng.randrange(4)
        if kind == 0:
            text = text[:i] + text[i + 1 :]
        elif kind == 1 and i + 1 < len(text):
            text = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        elif kind == 2:
            text = text[:i] + text[i] + text[i:]
        else:
            text = text[:i] + _keyboard_neighbour(text[i], rng) + text[i + 1 :]
    return text


def _change_case(text: str, rng: random.Random) -> str:
    """Upper-case, lower-case or title-case the whole text."""
    return rng.choice((text.upper(), text.upper(), text.lower(), text.title()))


def _punctuate(text: str, rng: random.Random) -> str:
    """Add punctuation and whitespace noise: trailing dot, doubled space, quotes, hyphens."""
    kind = rng.randrange(5)
    if kind == 0:
        return text + "."
    if kind == 1:
        return text.replace(" ", "  ", 1)
    if kind == 2:
        return f" {text} "
    if kind == 3 and " " in text:
        first, rest = text.split(" ", 1)
        return f'"{first}" {rest}'
    return text.replace(" ", "-", 1)


def _transliterate(text: str, rng: random.Random) -> str:
    """Fold umlauts and accents, as ``ue`` or by dropping the diacritic."""
    if rng.random() < 0.6:
        return _ascii_fold(text)
    table = str.maketrans("äöüÄÖÜéèêÉàçôîâ", "aouAOUeeeEacoia")
    return text.translate(table).replace("ß", "ss")


def _space_out(text: str, rng: random.Random) -> str:
    """Insert a (half- or full-width) space into a Chinese name."""
    if len(text) < 4:
        return text
    index = rng.randrange(2, len(text) - 1)
    return text[:index] + rng.choice((" ", "\u3000")) + text[index:]


def _fullwidth_op(text: str, rng: random.Random) -> str:
    """Write the Latin letters, digits and brackets of a name in full width."""
    return _full_width(text)


_TextOp = Callable[[str, random.Random], str]
_LATIN_TEXT_OPS: dict[str, _TextOp] = {
    "typo": _typo,
    "case": _change_case,
    "punctuation": _punctuate,
    "transliterate": _transliterate,
}
_CHINESE_TEXT_OPS: dict[str, _TextOp] = {"fullwidth": _fullwidth_op, "spacing": _space_out}


def _apply_structural(parts: _NameParts, op: str, rng: random.Random) -> _NameParts:
    """Apply one structural variant operation to name parts."""
    if isinstance(parts, _LatinName):
        return _LATIN_OPS[op](parts, rng)
    if isinstance(parts, _ChineseName):
        return _CHINESE_OPS[op](parts, rng)
    ops = _CHINESE_PERSON_OPS if parts.is_chinese else _PERSON_OPS
    return ops[op](parts, rng)


def _operations_for(parts: _NameParts) -> tuple[list[str], dict[str, _TextOp]]:
    """Return the structural op names and the text ops that fit a kind of name."""
    if isinstance(parts, _LatinName):
        return list(_LATIN_OPS), _LATIN_TEXT_OPS
    if isinstance(parts, _ChineseName):
        return list(_CHINESE_OPS), _CHINESE_TEXT_OPS
    if parts.is_chinese:
        return list(_CHINESE_PERSON_OPS), {"spacing": _space_out}
    return list(_PERSON_OPS), _LATIN_TEXT_OPS


def _vary_name(parts: _NameParts, rng: random.Random, op_count: int) -> str:
    """Render a name after ``op_count`` random variant operations.

    Structural operations (legal form, word order, region brackets, name order) run on
    the parts; text operations (typos, case, punctuation, full width) on the result.
    """
    structural, text_ops = _operations_for(parts)
    pool = structural + list(text_ops)
    chosen = rng.sample(pool, min(op_count, len(pool)))
    for op in chosen:
        if op in structural:
            parts = _apply_structural(parts, op, rng)
    text = parts.render()
    for op in chosen:
        if op in text_ops:
            text = text_ops[op](text, rng)
    return text


# --------------------------------------------------------------------------------------
# Addresses, phones, tax ids
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Address:
    """A postal address; any part may be missing in a noisy record."""

    street: str | None
    city: str | None
    postal_code: str | None
    region: str | None
    region_code: str | None
    country: str


@dataclass(frozen=True)
class _Phone:
    """A phone number split into country code, area (or mobile) prefix and subscriber."""

    calling_code: str
    area: str
    subscriber: str
    trunk: str


_GB_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_NL_POSTCODE_LETTERS = "ABCDEFGHJKLMNPRSTVWXZ"


def _postal_code(country: _Country, city: _City, rng: random.Random) -> str:
    """Return a plausible postal code of ``city`` in its country's format."""
    prefix = rng.choice(city.postal_prefixes)
    if country.code == "GB":
        letters = rng.choice(_GB_INWARD_LETTERS) + rng.choice(_GB_INWARD_LETTERS)
        return f"{prefix} {rng.randint(1, 9)}{letters}"
    if country.code == "NL":
        letters = rng.choice(_NL_POSTCODE_LETTERS) + rng.choice(_NL_POSTCODE_LETTERS)
        return f"{prefix}{_digits(rng, 2)} {letters}"
    if country.code in ("US", "CN"):
        return prefix + _digits(rng, 5 - len(prefix) if country.code == "US" else 3)
    return prefix + _digits(rng, 3)


def _street(country: _Country, fake: Faker, rng: random.Random) -> str:
    """Return a street line in the country's house-number convention."""
    number = rng.randint(1, 250)
    street_name = fake.street_name()
    if country.code == "CN":
        return f"{street_name}{number}号"
    if country.code == "FR":
        return f"{number}{rng.choice((', ', ' '))}{street_name}"
    if country.house_number_first:
        return f"{number} {street_name}"
    return f"{street_name} {number}"


def _address(country: _Country, city: _City, fake: Faker, rng: random.Random) -> _Address:
    """Return a new address in ``city``."""
    return _Address(
        street=_street(country, fake, rng),
        city=city.name,
        postal_code=_postal_code(country, city, rng),
        region=city.region,
        region_code=city.region_code or None,
        country=country.code,
    )


def _vary_address(address: _Address, rng: random.Random) -> _Address:
    """Return the same address written differently (abbreviated, cased, parts missing)."""
    kind = rng.randrange(5)
    if kind == 0 and address.street:
        street = address.street
        for long, short in _STREET_ABBREVIATIONS:
            if long in street:
                return replace(address, street=street.replace(long, short, 1))
        return replace(address, street=street.upper())
    if kind == 1:
        return replace(
            address,
            street=address.street.upper() if address.street else None,
            city=address.city.upper() if address.city else None,
        )
    if kind == 2 and address.postal_code:
        return replace(address, postal_code=address.postal_code.replace(" ", ""))
    if kind == 3:
        return replace(address, postal_code=None, region=None, region_code=None)
    return replace(address, city=_ascii_fold(address.city) if address.city else None)


def _new_phone(country: _Country, city: _City, rng: random.Random) -> _Phone:
    """Return a landline number in ``city``."""
    length = 8 if country.code == "CN" else country.national_length - len(city.area_code)
    if country.code == "US":
        subscriber = str(rng.randint(200, 999)) + _digits(rng, 4)
    else:
        subscriber = str(rng.randint(2, 9)) + _digits(rng, length - 1)
    return _Phone(country.calling_code, city.area_code, subscriber, country.trunk)


def _new_mobile(country: _Country, city: _City, rng: random.Random) -> _Phone:
    """Return a mobile number of the country (US mobiles look like landlines)."""
    if not country.mobile_prefixes:
        return _new_phone(country, city, rng)
    prefix = rng.choice(country.mobile_prefixes)
    length = 8 if country.code in ("DE", "CN", "FR", "NL") else 10 - len(prefix)
    trunk = "" if country.code == "CN" else country.trunk
    return _Phone(country.calling_code, prefix, _digits(rng, length), trunk)


def _group(digits: str, size: int) -> str:
    """Split digits into space-separated groups of ``size`` from the left."""
    return " ".join(digits[i : i + size] for i in range(0, len(digits), size))


_PHONE_STYLES = (
    "international",
    "international",
    "national",
    "national",
    "e164",
    "dashed",
    "trunk_in_brackets",
    "double_zero",
)


def _format_phone(phone: _Phone, style: str) -> str:
    """Write a phone number in one of the styles people type them in."""
    cc, area, sub, trunk = phone.calling_code, phone.area, phone.subscriber, phone.trunk
    if cc == "1":
        national = f"({area}) {sub[:3]}-{sub[3:]}"
        return {
            "national": national,
            "dashed": f"{area}-{sub[:3]}-{sub[3:]}",
            "e164": f"+1{area}{sub}",
            "double_zero": f"001 {area} {sub[:3]} {sub[3:]}",
        }.get(style, f"+1 {area}-{sub[:3]}-{sub[3:]}")
    if cc == "33":
        grouped = f"{area} {_group(sub, 2)}"
        national = _group(trunk + area + sub, 2)
        return {
            "national": national,
            "dashed": national.replace(" ", "."),
            "e164": f"+33{area}{sub}",
            "trunk_in_brackets": f"+33 (0){grouped}",
            "double_zero": f"0033 {grouped}",
        }.get(style, f"+33 {grouped}")
    return {
        "national": f"{trunk}{area} {sub}",
        "dashed": f"{trunk}{area}-{sub}",
        "e164": f"+{cc}{area}{sub}",
        "trunk_in_brackets": f"+{cc} ({trunk}){area} {sub}" if trunk else f"+{cc} {area} {sub}",
        "double_zero": f"00{cc} {area} {sub}",
    }.get(style, f"+{cc} {area} {_group(sub, 4)}")


_CN_ORG_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_DIGITS = "0123456789"


def _first_valid(is_valid: Callable[[str], bool], head: str, tails: Sequence[str]) -> str:
    """Return ``head`` plus the first of ``tails`` that ``is_valid`` accepts."""
    for tail in tails:
        if is_valid(head + tail):
            return head + tail
    raise ValueError(f"no check characters make {head!r} valid")  # pragma: no cover


def _tax_id(country: _Country, rng: random.Random) -> str:
    """Return a VAT/tax id in the country's format, prefixed with the country code.

    The random draws are the same for every id of a country; the check characters among
    them are then replaced by the right ones, so every id passes python-stdnum.
    """
    if country.code == "FR":
        # Key (2 digits) + SIREN (8 digits + Luhn check digit); the key follows the SIREN.
        _digits(rng, 2)  # the old random key: still drawn, so later draws stay the same
        body = f"{rng.randint(1, 9)}{_digits(rng, 8)}"[:8]
        return f"FR{siren.to_tva(body + luhn.calc_check_digit(body))}"
    if country.code == "NL":
        # 9-digit number with an eleven-test (BSN-style) check digit, then B01/B02.
        number = f"{rng.randint(1, 9)}{_digits(rng, 8)}"
        suffix = f"B{rng.choice(('01', '01', '02'))}"
        # Not every 8-digit head has a check digit (remainder 10): then vary the 8th digit.
        tails = [number[7] + digit for digit in _DIGITS]
        tails += [a + b for a in _DIGITS for b in _DIGITS]
        valid = _first_valid(lambda n: btw.is_valid(n + suffix), number[:7], tails)
        return f"NL{valid}{suffix}"
    if country.code == "CN":
        # A unified social credit code: 91 + 6-digit region + 9-char org code + check char.
        body = "".join(rng.choice(_CN_ORG_CODE_CHARS) for _ in range(10))
        code = f"91{rng.randint(110000, 659000)}{body[:9]}"
        return f"CN{code}{uscc.calc_check_digit(code)}"
    number = f"{rng.randint(1, 9)}{_digits(rng, 8)}"
    if country.code == "DE":
        return f"DE{number[:8]}{mod_11_10.calc_check_digit(number[:8])}"
    if country.code == "GB":
        # Two check digits (weighted sum mod 97); try them in order.
        tails = [f"{n:02d}" for n in range(100)]
        return "GB" + _first_valid(gb_vat.is_valid, number[:7], tails)
    return f"{country.code}{number}"  # US: an EIN/SSN-shaped TIN has no check digit


def _vary_tax_id(tax_id: str, rng: random.Random) -> str:
    """Write a tax id with spaces or dots, lower case or without its country prefix."""
    kind = rng.randrange(4)
    if kind == 0:
        return f"{tax_id[:2]} {_group(tax_id[2:], 3)}"
    if kind == 1:
        return tax_id[2:]
    if kind == 2:
        return tax_id.lower()
    return f"{tax_id[:2]}.{tax_id[2:]}"


# --------------------------------------------------------------------------------------
# The population of real customers
# --------------------------------------------------------------------------------------


@dataclass
class _Customer:
    """A real-world customer: a company, one of its branches, or a private person."""

    entity_id: str
    country: _Country
    name: _NameParts
    domain: str | None
    email: str
    website: str | None
    phone: _Phone
    tax_id: str | None
    bill_to: _Address
    ship_to: _Address | None
    credit_limit: Decimal
    payment_terms: str
    owners: tuple[str, ...]
    parent: _Customer | None = None
    in_crm: bool = True
    in_erp: bool = False
    mail_style: str = "first.last"

    @property
    def is_person(self) -> bool:
        """Whether the customer is a natural person."""
        return isinstance(self.name, _PersonName)

    @property
    def currency(self) -> str:
        """The currency the customer is billed in."""
        return self.country.currency


@dataclass
class _Tools:
    """The seeded randomness one stage draws from."""

    rng: random.Random
    fakers: Mapping[str, Faker]
    clock: _Clock

    def fake(self, country: _Country) -> Faker:
        """Return the seeded Faker of a country's locale."""
        return self.fakers[country.code]


def _fakers(seed: int) -> dict[str, Faker]:
    """Return one seeded Faker per country, keyed by country code."""
    fakers = {}
    for index, country in enumerate(_COUNTRIES):
        fake = Faker(country.locale)
        fake.seed_instance(seed * 101 + index)
        fakers[country.code] = fake
    return fakers


def _pick_country(rng: random.Random) -> _Country:
    """Pick a country by its share of the customer base."""
    return rng.choices(_COUNTRIES, weights=[c.weight for c in _COUNTRIES])[0]


def _latin_company_name(
    country: _Country, tools: _Tools, namesakes: list[_LatinName]
) -> _LatinName:
    """Draw a Latin-script company name; a few reuse another company's base words."""
    rng, fake = tools.rng, tools.fake(country)
    legal = _weighted(rng, country.legal_forms)
    if namesakes and rng.random() < _NAMESAKE_SHARE:
        # A different company with the same base name: a hard negative for matchers.
        other = rng.choice(namesakes)
        forms = [form for form, _ in country.legal_forms if form != other.legal]
        return _LatinName(other.words, rng.choice(forms))
    template = rng.choice(country.name_templates)
    base = template.format(
        last=fake.last_name(),
        last2=fake.last_name(),
        brand=rng.choice(_BRANDS),
        industry=rng.choice(country.industries),
    )
    return _LatinName(tuple(base.split()), legal)


def _chinese_company_name(city: _City, rng: random.Random) -> _ChineseName:
    """Draw a Chinese company name; about one in five has a Latin-letter brand."""
    if rng.random() < 0.2:
        brand = "".join(rng.choice("ABCDEFGHJKLMNPRSTWXYZ") for _ in range(rng.randint(2, 4)))
        brand_pinyin = brand
    else:
        first, second = rng.sample(_CN_SYLLABLES, 2)
        brand, brand_pinyin = first[0] + second[0], first[1] + second[1]
    industry, industry_pinyin, industry_english = rng.choice(_CN_INDUSTRIES)
    legal = _weighted(rng, _CN.legal_forms)
    return _ChineseName(
        city, brand, brand_pinyin, industry, industry_pinyin, industry_english, legal
    )


def _company_domain(name: _NameParts, country: _Country, used: set[str]) -> str:
    """Derive a unique e-mail domain from a company name."""
    if isinstance(name, _ChineseName):
        stem = f"{name.brand_pinyin}{name.industry_pinyin}".lower()
    elif isinstance(name, _LatinName):
        words = [w for w in name.words if w not in _CONNECTIVES + _NAME_PARTICLES]
        words = words or list(name.words)
        stem = "-".join(_slug(w) for w in words[:2] if _slug(w))
    else:
        stem = _slug(name.last)
    domain = f"{stem}.{country.tld}"
    counter = 2
    while domain in used:
        domain = f"{stem}{counter}.{country.tld}"
        counter += 1
    used.add(domain)
    return domain


def _credit_limit(country: _Country, rng: random.Random, *, person: bool) -> Decimal:
    """Return a credit limit in the customer's currency."""
    if person:
        amount = Decimal(rng.choice((0, 1000, 2000, 5000)))
    else:
        amount = Decimal(
            rng.choice((5000, 10000, 20000, 25000, 50000, 75000, 100000, 150000, 250000, 500000))
        )
    return amount * 7 if country.currency == "CNY" else amount


def _owners(rng: random.Random) -> tuple[str, ...]:
    """Return the sales reps serving a customer (usually one, sometimes two)."""
    count = 2 if rng.random() < 0.12 else 1
    return tuple(f"{rep}@{_SALES_REP_DOMAIN}" for rep in rng.sample(_SALES_REPS, count))


@dataclass
class _NameRegistry:
    """Canonical names drawn so far (kept unique) and Latin names per country."""

    taken: set[str] = field(default_factory=set)
    latin_by_country: dict[str, list[_LatinName]] = field(default_factory=dict)
    domains: set[str] = field(default_factory=set)

    def add(self, parts: _NameParts, country: _Country) -> None:
        """Register a drawn company name."""
        self.taken.add(parts.render())
        if isinstance(parts, _LatinName):
            self.latin_by_country.setdefault(country.code, []).append(parts)


def _new_company(entity_id: str, tools: _Tools, registry: _NameRegistry) -> _Customer:
    """Draw a new company with a unique canonical name."""
    rng = tools.rng
    country = _pick_country(rng)
    city = rng.choice(country.cities)
    namesakes = registry.latin_by_country.get(country.code, [])
    parts: _NameParts
    for _ in range(30):
        if country.code == "CN":
            parts = _chinese_company_name(city, rng)
        else:
            parts = _latin_company_name(country, tools, namesakes)
        if parts.render() not in registry.taken:
            break
    registry.add(parts, country)
    domains = registry.domains
    domain = _company_domain(parts, country, domains)
    fake = tools.fake(country)
    bill_to = _address(country, city, fake, rng)
    ship_to = None
    if rng.random() < 0.2:
        ship_to = _address(country, rng.choice(country.cities), fake, rng)
    return _Customer(
        entity_id=entity_id,
        country=country,
        name=parts,
        domain=domain,
        email=f"{rng.choice(country.mailboxes)}@{domain}",
        website=f"www.{domain}",
        phone=_new_phone(country, city, rng),
        tax_id=_tax_id(country, rng),
        bill_to=bill_to,
        ship_to=ship_to,
        credit_limit=_credit_limit(country, rng, person=False),
        payment_terms=_weighted(rng, _PAYMENT_TERMS),
        owners=_owners(rng),
        mail_style=rng.choice(("first.last", "first.last", "f.last", "firstlast", "first_last")),
    )


def _branch_name(hq: _NameParts, country: _Country, city: _City, rng: random.Random) -> _NameParts:
    """Return the HQ's name with a site suffix (``Acme GmbH Werk Hamburg``)."""
    suffix = rng.choice(country.site_suffixes).format(city=city.name)
    if isinstance(hq, _ChineseName):
        kind = "Branch" if suffix.endswith("分公司") else "Plant"
        return replace(hq, site=suffix, site_english=f"{city.romanized} {kind}")
    if isinstance(hq, _LatinName):
        return replace(hq, site=suffix)
    raise TypeError("a private person has no branches")


def _new_branch(entity_id: str, hq: _Customer, tools: _Tools, taken: set[str]) -> _Customer:
    """Draw a branch or plant of ``hq``: its own entity, same base name plus a site."""
    rng, country = tools.rng, hq.country
    cities = [c for c in country.cities if c.name != hq.bill_to.city and c.name not in taken]
    city = rng.choice(cities or list(country.cities))
    taken.add(city.name)
    name = _branch_name(hq.name, country, city, rng)
    fake = tools.fake(country)
    site_mailbox = _slug(city.romanized or city.name)
    return _Customer(
        entity_id=entity_id,
        country=country,
        name=name,
        domain=hq.domain,
        email=f"{site_mailbox}@{hq.domain}",
        website=hq.website,
        phone=_new_phone(country, city, rng),
        # Branches usually share the group's VAT registration: same tax id, other entity.
        tax_id=hq.tax_id if rng.random() < 0.8 else _tax_id(country, rng),
        bill_to=_address(country, city, fake, rng),
        ship_to=None if rng.random() < 0.7 else _address(country, city, fake, rng),
        credit_limit=(hq.credit_limit / 5).quantize(Decimal(1)),
        payment_terms=hq.payment_terms,
        owners=hq.owners,
        parent=hq,
        mail_style=hq.mail_style,
    )


def _person_name(country: _Country, tools: _Tools) -> _PersonName:
    """Draw the name of a natural person of the country."""
    rng = tools.rng
    if country.code == "CN":
        last, last_pinyin = rng.choice(_CN_SURNAMES)
        first, first_pinyin = rng.choice(_CN_GIVEN_NAMES)
        return _PersonName(first, last, first_pinyin, last_pinyin)
    fake = tools.fake(country)
    return _PersonName(fake.first_name(), fake.last_name())


def _person_mail_local(name: _PersonName, rng: random.Random) -> str:
    """Return the local part of a private e-mail address."""
    if name.is_chinese:
        return f"{_slug(name.last_pinyin)}{_slug(name.first_pinyin)}{_digits(rng, 3)}"
    local = f"{_slug(name.first)}.{_slug(name.last)}"
    return local + (_digits(rng, 2) if rng.random() < 0.3 else "")


def _new_person(entity_id: str, tools: _Tools) -> _Customer:
    """Draw a private customer (a natural person)."""
    rng = tools.rng
    country = _pick_country(rng)
    city = rng.choice(country.cities)
    name = _person_name(country, tools)
    return _Customer(
        entity_id=entity_id,
        country=country,
        name=name,
        domain=None,
        email=f"{_person_mail_local(name, rng)}@{rng.choice(country.free_mail)}",
        website=None,
        phone=_new_mobile(country, city, rng)
        if rng.random() < 0.7
        else _new_phone(country, city, rng),
        tax_id=None,
        bill_to=_address(country, city, tools.fake(country), rng),
        ship_to=None,
        credit_limit=_credit_limit(country, rng, person=True),
        payment_terms=rng.choice(("PREPAID", "NET14", "NET30")),
        owners=_owners(rng),
    )


def _customer_population(companies: int, tools: _Tools) -> list[_Customer]:
    """Draw all real customers and decide in which systems each one exists."""
    rng = tools.rng
    registry = _NameRegistry()
    customers: list[_Customer] = []

    def next_id() -> str:
        return f"C{len(customers) + 1:05d}"

    for _ in range(companies):
        customers.append(_new_company(next_id(), tools, registry))
    headquarters = rng.sample(customers, round(companies * _BRANCHED_COMPANY_SHARE))
    for hq in headquarters:
        taken: set[str] = set()
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            customers.append(_new_branch(next_id(), hq, tools, taken))
    for _ in range(round(companies * _PERSON_SHARE)):
        customers.append(_new_person(next_id(), tools))
    for customer in customers:
        if customer.parent is None:
            customer.in_erp = rng.random() < _ERP_PRESENT_SHARE
        else:
            customer.in_erp = rng.random() < (0.85 if customer.parent.in_erp else 0.3)
    erp_only = round(sum(c.in_erp for c in customers) * _ERP_ONLY_SHARE)
    for _ in range(erp_only):
        company = _new_company(next_id(), tools, registry)
        company.in_crm, company.in_erp = False, True
        customers.append(company)
    return customers


# --------------------------------------------------------------------------------------
# Customer records of the CRM and the ERP
# --------------------------------------------------------------------------------------


@dataclass
class _CustomerRecord:
    """One customer record of one system, before it is written."""

    entity: _Customer
    name: str | None
    name2: str | None
    email: str | None
    website: str | None
    phone: str | None
    tax_id: str | None
    bill_to: _Address
    ship_to: _Address | None
    credit_limit: str | None
    currency: str
    payment_terms: str | None
    owner_email: str | None
    created_at: str
    modified_at: str
    duplicate: bool
    keeps_parent: bool = True
    defect: str | None = None
    deleted: bool = False
    source_id: str = ""


def _email_variant(customer: _Customer, rng: random.Random) -> str | None:
    """Return another e-mail of the same customer (other mailbox, case) or none."""
    kind = rng.randrange(4)
    if kind == 0:
        return None
    if kind == 1:
        return customer.email.upper()
    local, domain = customer.email.split("@", 1)
    if customer.domain:
        mailbox = rng.choice([m for m in customer.country.mailboxes if m != local] or [local])
        return f"{mailbox}@{domain}"
    return f"{local}@{rng.choice(customer.country.free_mail)}"


def _website_variant(website: str | None, rng: random.Random) -> str | None:
    """Write the same website with or without scheme, ``www`` and trailing slash."""
    if website is None:
        return None
    bare = website.removeprefix("www.")
    return rng.choice((website, f"https://{website}", f"http://{bare}/", bare, None))


def _name_op_count(rng: random.Random, *, duplicate: bool, erp: bool) -> int:
    """How many name variant operations a record gets."""
    if duplicate:
        return rng.choice((1, 1, 2, 2, 3))
    if erp:
        return rng.choice((0, 0, 0, 1, 1, 2))
    return 0 if rng.random() < 0.7 else 1


def _record_address(customer: _Customer, tools: _Tools, *, duplicate: bool) -> _Address:
    """Return the bill-to address a record carries: the same, written differently, or
    another address of the same company."""
    rng = tools.rng
    if duplicate and rng.random() < 0.25:
        country = customer.country
        return _address(country, rng.choice(country.cities), tools.fake(country), rng)
    if rng.random() < (0.4 if duplicate else 0.15):
        return _vary_address(customer.bill_to, rng)
    return customer.bill_to


def _customer_record(
    customer: _Customer, tools: _Tools, *, duplicate: bool, erp: bool
) -> _CustomerRecord:
    """Render one record of ``customer`` with system-typical noise."""
    rng = tools.rng
    name = _vary_name(customer.name, rng, _name_op_count(rng, duplicate=duplicate, erp=erp))
    drop = 0.3 if duplicate else 0.06
    tax_id = None if customer.tax_id is None or rng.random() < drop else customer.tax_id
    if tax_id is not None and rng.random() < (0.3 if duplicate else 0.1):
        tax_id = _vary_tax_id(tax_id, rng)
    phone = (
        None if rng.random() < drop else _format_phone(customer.phone, rng.choice(_PHONE_STYLES))
    )
    credit: str | None = _money(customer.credit_limit)
    if duplicate and rng.random() < 0.4:
        credit = None if rng.random() < 0.6 else _money(customer.credit_limit * 2)
    terms: str | None = customer.payment_terms
    if duplicate and rng.random() < 0.3:
        terms = None if rng.random() < 0.5 else _weighted(rng, _PAYMENT_TERMS)
    owners = customer.owners
    if duplicate and rng.random() < 0.4:
        owners = _owners(rng)
    created, modified = tools.clock.created_modified()
    return _CustomerRecord(
        entity=customer,
        name=name,
        name2=None,
        email=_email_variant(customer, rng) if duplicate and rng.random() < 0.6 else customer.email,
        website=_website_variant(customer.website, rng) if duplicate else customer.website,
        phone=phone,
        tax_id=tax_id,
        bill_to=_record_address(customer, tools, duplicate=duplicate),
        ship_to=customer.ship_to,
        credit_limit=credit,
        currency=customer.currency,
        payment_terms=terms,
        owner_email=";".join(owners),
        created_at=created,
        modified_at=modified,
        duplicate=duplicate,
        keeps_parent=not duplicate or rng.random() < 0.75,
    )


def _split_name(text: str, limit: int = 35) -> tuple[str, str | None]:
    """Split a long name into ``name1`` and the overflow ``name2`` at a word boundary."""
    if len(text) <= limit:
        return text, None
    cut = text.rfind(" ", 0, limit + 1)
    if cut <= 0:
        cut = limit
    return text[:cut].rstrip(), text[cut:].strip() or None


def _legal_in_name2(name: str, parts: _LatinName) -> tuple[str, str] | None:
    """Split off the legal form at the end of ``name`` (in any spelling) as ``name2``."""
    if parts.legal is None or parts.site is not None:
        return None
    for form in (parts.legal, *_LEGAL_SYNONYMS.get(parts.legal, ())):
        if name.upper().endswith(" " + form.upper()):
            return name[: -len(form)].rstrip(" ,"), name[-len(form) :]
    return None


def _erp_name_fields(record: _CustomerRecord, rng: random.Random) -> tuple[str, str | None]:
    """Return ``name1``/``name2`` as the ERP holds them: upper case, ASCII, 35-char split."""
    parts = record.entity.name
    name = record.name or ""
    if isinstance(parts, _ChineseName) and rng.random() < _CHINESE_ENGLISH_NAME_SHARE:
        # Only the English name is kept in this ERP record: a cross-script match.
        name = parts.render_english()
    upper = rng.random() < 0.55
    if upper:
        if rng.random() < 0.5:
            name = _ascii_fold(name)
        name = name.upper()
    if isinstance(parts, _PersonName) and not parts.is_chinese and rng.random() < 0.3:
        # Last name in name1, first name in name2, as in many SAP person records.
        last, first = parts.last, parts.first
        return (last.upper(), first.upper()) if upper else (last, first)
    if isinstance(parts, _LatinName) and rng.random() < 0.15:
        # The legal form keyed into name2.
        split = _legal_in_name2(name, parts)
        if split is not None:
            return split
    return _split_name(name)


def _erp_styled(record: _CustomerRecord, rng: random.Random) -> _CustomerRecord:
    """Give a record the ERP's habits: its name fields, and no website (KNA1 has none)."""
    name1, name2 = _erp_name_fields(record, rng)
    return replace(record, name=name1, name2=name2, website=None)


def _crm_customer_records(customers: Sequence[_Customer], tools: _Tools) -> list[_CustomerRecord]:
    """Render the CRM accounts: every CRM customer once, a quarter of them 2-3 times."""
    rng = tools.rng
    records = []
    for customer in customers:
        if not customer.in_crm:
            continue
        records.append(_customer_record(customer, tools, duplicate=False, erp=False))
        if rng.random() < _CRM_DUPLICATED_SHARE:
            for _ in range(rng.choice((1, 1, 2))):
                records.append(_customer_record(customer, tools, duplicate=True, erp=False))
    for record in records:
        if record.ship_to is None and rng.random() < 0.5:
            # CRM users often copy the billing address into shipping.
            record.ship_to = record.bill_to
    return records


def _erp_customer_records(customers: Sequence[_Customer], tools: _Tools) -> list[_CustomerRecord]:
    """Render the ERP customer master: present customers once, a tenth of them twice."""
    rng = tools.rng
    records = []
    for customer in customers:
        if not customer.in_erp:
            continue
        copies = 2 if rng.random() < _ERP_DUPLICATED_SHARE else 1
        for copy in range(copies):
            record = _customer_record(customer, tools, duplicate=copy > 0, erp=True)
            records.append(_erp_styled(record, rng))
    duplicates = [r for r in records if r.duplicate]
    # A handful of old duplicates carry the SAP deletion flag.
    for record in rng.sample(duplicates, min(len(duplicates), max(1, len(records) // 200))):
        record.deleted = True
    return records


_INVALID_EMAIL_PATTERNS = (
    "info@@{domain}",
    "{domain}",
    "info@{stem}",
    "info at {domain}",
    "info@{domain}..",
    "@{domain}",
)


def _invalid_email(email: str | None, rng: random.Random) -> str:
    """Return a malformed e-mail address built from a valid one."""
    domain = (email or "info@example.com").split("@", 1)[-1].lower()
    stem = domain.split(".", 1)[0]
    return rng.choice(_INVALID_EMAIL_PATTERNS).format(domain=domain, stem=stem)


def _plant_customer_defect(record: _CustomerRecord, defect: str, rng: random.Random) -> None:
    """Spoil one customer record with the named defect."""
    record.defect = defect
    if defect == "no_name":
        record.name, record.name2 = rng.choice((None, "")), None
    elif defect == "invalid_email":
        record.email = _invalid_email(record.email or record.entity.email, rng)
    else:
        record.currency = rng.choice(_UNKNOWN_CURRENCIES)


def _defect_slots(
    rng: random.Random, count: int, share: float, kinds: Sequence[str]
) -> list[tuple[int, str]]:
    """Choose which of ``count`` records get a defect and which one.

    Kinds are dealt round-robin so every kind appears whenever there are enough records.
    """
    wanted = min(count, max(len(kinds), round(count * share)))
    indices = sorted(rng.sample(range(count), wanted))
    return [(index, kinds[n % len(kinds)]) for n, index in enumerate(indices)]


_CUSTOMER_DEFECTS = ("no_name", "invalid_email", "unknown_currency")
_PRODUCT_DEFECTS = ("no_name", "negative_price", "unknown_currency")


def _assign_ids(records: list[Any], rng: random.Random, template: str, start: int = 1) -> None:
    """Shuffle records and number them, so ids reveal nothing about duplicates."""
    rng.shuffle(records)
    for offset, record in enumerate(records):
        record.source_id = template.format(start + offset)


def _primary_ids(records: Sequence[_CustomerRecord]) -> dict[str, str]:
    """Map entity id → source id of that entity's first (non-duplicate) record."""
    ids: dict[str, str] = {}
    for record in records:
        if not record.duplicate:
            ids.setdefault(record.entity.entity_id, record.source_id)
    return ids


def _parent_id(record: _CustomerRecord, primary: Mapping[str, str]) -> str | None:
    """Return the source id of the record's HQ in the same system, if it has one there."""
    parent = record.entity.parent
    if parent is None or not record.keeps_parent:
        return None
    return primary.get(parent.entity_id)


def _crm_account_row(record: _CustomerRecord, primary: Mapping[str, str]) -> dict[str, Any]:
    """Return the ``accounts`` row of a CRM customer record."""
    bill, ship = record.bill_to, record.ship_to
    return {
        "account_id": record.source_id,
        "account_name": record.name,
        "account_type": "Person" if record.entity.is_person else "Company",
        "parent_account_id": _parent_id(record, primary),
        "website": record.website,
        "email": record.email,
        "phone": record.phone,
        "tax_number": record.tax_id,
        "billing_street": bill.street,
        "billing_city": bill.city,
        "billing_postal_code": bill.postal_code,
        "billing_state": bill.region_code if bill.country == "US" else bill.region,
        "billing_country": bill.country,
        "shipping_street": ship.street if ship else None,
        "shipping_city": ship.city if ship else None,
        "shipping_postal_code": ship.postal_code if ship else None,
        "shipping_country": ship.country if ship else None,
        "credit_limit": record.credit_limit,
        "currency_code": record.currency,
        "payment_terms": record.payment_terms,
        "owner_email": record.owner_email,
        "created_at": record.created_at,
        "modified_at": record.modified_at,
        "mdm_golden_id": None,
    }


def _erp_customer_row(record: _CustomerRecord, primary: Mapping[str, str]) -> dict[str, Any]:
    """Return the ``customer_master`` row of an ERP customer record."""
    bill, ship = record.bill_to, record.ship_to
    return {
        "kunnr": record.source_id,
        "name1": record.name,
        "name2": record.name2,
        "ktokd": "PERS" if record.entity.is_person else "ORG",
        "hkunnr": _parent_id(record, primary),
        "stras": bill.street,
        "pstlz": bill.postal_code,
        "ort01": bill.city,
        "regio": bill.region_code,
        "land1": bill.country,
        "we_stras": ship.street if ship else None,
        "we_pstlz": ship.postal_code if ship else None,
        "we_ort01": ship.city if ship else None,
        "we_land1": ship.country if ship else None,
        "telf1": record.phone,
        "smtp_addr": record.email,
        "stceg": record.tax_id,
        "klimk": record.credit_limit,
        "waers": record.currency,
        "zterm": record.payment_terms,
        "erdat": record.created_at,
        "aedat": record.modified_at,
        "loevm": 1 if record.deleted else 0,
        "mdm_golden_id": None,
    }


# --------------------------------------------------------------------------------------
# Contacts
# --------------------------------------------------------------------------------------


@dataclass
class _ContactRecord:
    """One CRM contact record of a real contact person."""

    entity_id: str
    customer: _Customer
    account_id: str
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    mobile: str | None
    job_title: str | None
    address: _Address
    created_at: str
    modified_at: str
    defect: str | None = None
    source_id: str = ""


def _contact_mail_local(name: _PersonName, style: str) -> str:
    """Return a contact's mailbox at the company in the company's addressing style."""
    first = _slug(name.first_pinyin or name.first)
    last = _slug(name.last_pinyin or name.last)
    if style == "f.last":
        return f"{first[:1]}.{last}"
    if style == "firstlast":
        return first + last
    if style == "first_last":
        return f"{first}_{last}"
    return f"{first}.{last}"


def _new_contact(
    entity_id: str, customer: _Customer, account_id: str, tools: _Tools
) -> _ContactRecord:
    """Draw a contact person of ``customer`` and render their first CRM record."""
    rng, country = tools.rng, customer.country
    name = _person_name(country, tools)
    city = next((c for c in country.cities if c.name == customer.bill_to.city), country.cities[0])
    created, modified = tools.clock.created_modified()
    extension = _Phone(
        customer.phone.calling_code,
        customer.phone.area,
        customer.phone.subscriber[:-2] + _digits(rng, 2),
        customer.phone.trunk,
    )
    return _ContactRecord(
        entity_id=entity_id,
        customer=customer,
        account_id=account_id,
        first_name=name.first,
        last_name=name.last,
        email=f"{_contact_mail_local(name, customer.mail_style)}@{customer.domain}",
        phone=_format_phone(extension, rng.choice(_PHONE_STYLES)) if rng.random() < 0.8 else None,
        mobile=_format_phone(_new_mobile(country, city, rng), rng.choice(_PHONE_STYLES))
        if rng.random() < 0.6
        else None,
        job_title=rng.choice(country.job_titles) if rng.random() < 0.85 else None,
        address=customer.bill_to,
        created_at=created,
        modified_at=modified,
    )


def _contact_email_variant(email: str, rng: random.Random) -> str | None:
    """Return the same mailbox written otherwise (case, dots) or none."""
    local, domain = email.split("@", 1)
    options: list[str | None] = [email.upper(), None]
    if "." in local or "_" in local:
        options.append(re.sub(r"[._]", "", local) + "@" + domain)
    return rng.choice(options)


def _contact_duplicate(original: _ContactRecord, account_id: str, tools: _Tools) -> _ContactRecord:
    """Return a second record of the same contact: another address, a typo, other mail."""
    rng = tools.rng
    created, modified = tools.clock.created_modified()
    duplicate = replace(original, account_id=account_id, created_at=created, modified_at=modified)
    if rng.random() < 0.45:
        country = original.customer.country
        duplicate.address = _address(country, rng.choice(country.cities), tools.fake(country), rng)
    if rng.random() < 0.5 and duplicate.last_name and duplicate.first_name:
        if original.customer.country.code == "CN":
            duplicate.first_name = duplicate.first_name[:1]
        elif rng.random() < 0.5:
            duplicate.last_name = _typo(duplicate.last_name, rng)
        else:
            duplicate.first_name = _typo(duplicate.first_name, rng)
    if rng.random() < 0.4 and duplicate.email:
        duplicate.email = _contact_email_variant(duplicate.email, rng)
    if rng.random() < 0.3:
        duplicate.phone = None
    return duplicate


def _crm_contact_records(
    customers: Sequence[_Customer], account_ids: Mapping[str, list[str]], tools: _Tools
) -> list[_ContactRecord]:
    """Draw 1-4 contacts per CRM company account entity; a tenth appear twice."""
    rng = tools.rng
    records: list[_ContactRecord] = []
    serial = 0
    for customer in customers:
        ids = account_ids.get(customer.entity_id)
        if customer.is_person or not ids:
            continue
        count = rng.choice((1, 2)) if customer.parent else rng.choice((1, 2, 2, 3, 3, 4))
        for _ in range(count):
            serial += 1
            entity_id = f"K{serial:05d}"
            account = ids[0] if rng.random() < 0.7 else rng.choice(ids)
            contact = _new_contact(entity_id, customer, account, tools)
            records.append(contact)
            if rng.random() < _CONTACT_DUPLICATED_SHARE:
                records.append(_contact_duplicate(contact, rng.choice(ids), tools))
    for index, _ in _defect_slots(rng, len(records), _CONTACT_BAD_SHARE, ("invalid_email",)):
        records[index].email = _invalid_email(records[index].email, rng)
        records[index].defect = "invalid_email"
    return records


def _contact_row(record: _ContactRecord) -> dict[str, Any]:
    """Return the ``contacts`` row of a contact record."""
    return {
        "contact_id": record.source_id,
        "account_id": record.account_id,
        "first_name": record.first_name,
        "last_name": record.last_name,
        "email": record.email,
        "phone": record.phone,
        "mobile": record.mobile,
        "job_title": record.job_title,
        "mailing_street": record.address.street,
        "mailing_city": record.address.city,
        "mailing_postal_code": record.address.postal_code,
        "mailing_country": record.address.country,
        "created_at": record.created_at,
        "modified_at": record.modified_at,
    }


# --------------------------------------------------------------------------------------
# Products
# --------------------------------------------------------------------------------------


def _spec_dn_pn(rng: random.Random) -> str:
    return (
        f"DN{rng.choice((15, 20, 25, 32, 40, 50, 65, 80, 100, 150))} "
        f"PN{rng.choice((6, 10, 16, 25, 40))}"
    )


def _spec_pump(rng: random.Random) -> str:
    return f"{_spec_dn_pn(rng)}, {rng.choice(('0.75', '1.5', '2.2', '4', '7.5', '11'))} kW"


def _spec_bearing(rng: random.Random) -> str:
    bore = rng.choice((10, 15, 17, 20, 25, 30, 35, 40, 50, 60))
    return f"{bore}x{bore * 2 + rng.choice((2, 7, 12))}x{rng.choice((9, 12, 14, 16, 20))} mm"


def _spec_seal(rng: random.Random) -> str:
    material = rng.choice(("NBR 70", "FKM 75", "EPDM 70", "VMQ 60"))
    return f"{rng.choice((10, 20, 35, 50, 80, 120))}x{rng.choice((2, 2.5, 3, 4, 5))} mm {material}"


def _spec_motor(rng: random.Random) -> str:
    power = rng.choice(("0.55", "1.1", "2.2", "4", "7.5", "15", "22"))
    return f"{power} kW {rng.choice((1000, 1500, 3000))} rpm {rng.choice(('IE2', 'IE3', 'IE4'))}"


def _spec_hose(rng: random.Random) -> str:
    return f"DN{rng.choice((6, 8, 10, 12, 16, 20, 25))} {rng.choice(('1SN', '2SN', '4SP'))}"


def _spec_filter(rng: random.Random) -> str:
    return f"{rng.choice((1, 5, 10, 25, 50))} µm, {rng.choice((125, 250, 500, 750))} mm"


def _spec_sensor(rng: random.Random) -> str:
    return f"0-{rng.choice((1, 4, 10, 16, 40, 100))} bar, 4-20 mA"


def _spec_lubricant(rng: random.Random) -> str:
    return f"ISO VG {rng.choice((46, 68, 100, 220, 320))}, {rng.choice((1, 5, 20, 208))} l"


def _spec_bottle(rng: random.Random) -> str:
    return f"{rng.choice((250, 330, 500, 750, 1000))} ml bottle"


def _spec_canister(rng: random.Random) -> str:
    return f"{rng.choice((5, 10, 20, 25, 30))} l canister"


def _spec_box(rng: random.Random) -> str:
    return (
        f"{rng.choice((300, 400, 600))}x{rng.choice((200, 300, 400))}x"
        f"{rng.choice((150, 200, 300))} mm"
    )


def _spec_film(rng: random.Random) -> str:
    return f"{rng.choice((17, 20, 23, 30))} µm x {rng.choice((450, 500))} mm"


def _spec_pallet(rng: random.Random) -> str:
    return f"pallet {rng.choice(('120x80', '120x100', '80x60'))}"


@dataclass(frozen=True)
class _Kind:
    """A kind of product: its name, code prefix, spec drawer, units and price range."""

    name: str
    code: str
    spec: Callable[[random.Random], str]
    crm_unit: str
    erp_unit: str
    price: tuple[int, int]


@dataclass(frozen=True)
class _Family:
    """A product family (CRM) / material group (ERP)."""

    name: str
    group: str
    kinds: tuple[_Kind, ...]


_FAMILIES = (
    _Family(
        "Pumps",
        "PUMP",
        (
            _Kind("Centrifugal pump", "CP", _spec_pump, "Each", "ST", (450, 9800)),
            _Kind("Submersible pump", "SP", _spec_pump, "Each", "ST", (380, 6400)),
            _Kind("Gear pump", "GP", _spec_pump, "Each", "ST", (290, 4200)),
            _Kind("Diaphragm pump", "DP", _spec_pump, "Each", "ST", (520, 5200)),
        ),
    ),
    _Family(
        "Valves",
        "VALV",
        (
            _Kind("Ball valve", "BV", _spec_dn_pn, "Each", "ST", (35, 1900)),
            _Kind("Butterfly valve", "BF", _spec_dn_pn, "Each", "ST", (80, 2400)),
            _Kind("Gate valve", "GV", _spec_dn_pn, "Each", "ST", (90, 2800)),
            _Kind("Check valve", "CV", _spec_dn_pn, "Each", "ST", (40, 1200)),
        ),
    ),
    _Family(
        "Bearings",
        "BEAR",
        (
            _Kind("Deep groove ball bearing", "DG", _spec_bearing, "Each", "ST", (4, 180)),
            _Kind("Tapered roller bearing", "TR", _spec_bearing, "Each", "ST", (12, 380)),
            _Kind("Pillow block bearing", "PB", _spec_bearing, "Each", "ST", (25, 420)),
        ),
    ),
    _Family(
        "Seals",
        "SEAL",
        (
            _Kind("O-ring", "OR", _spec_seal, "Each", "ST", (1, 25)),
            _Kind("Shaft seal", "SS", _spec_seal, "Each", "ST", (6, 140)),
        ),
    ),
    _Family(
        "Motors",
        "MOTR",
        (
            _Kind("Three-phase motor", "TM", _spec_motor, "Each", "ST", (240, 5200)),
            _Kind("Geared motor", "GM", _spec_motor, "Each", "ST", (420, 7800)),
        ),
    ),
    _Family(
        "Hoses",
        "HOSE",
        (
            _Kind("Hydraulic hose", "HH", _spec_hose, "m", "M", (6, 60)),
            _Kind("Suction hose", "SH", _spec_hose, "m", "M", (8, 75)),
        ),
    ),
    _Family(
        "Filters",
        "FILT",
        (
            _Kind("Filter cartridge", "FC", _spec_filter, "Each", "ST", (9, 160)),
            _Kind("Bag filter", "BG", _spec_filter, "Each", "ST", (4, 70)),
        ),
    ),
    _Family(
        "Sensors",
        "SENS",
        (
            _Kind("Pressure transmitter", "PT", _spec_sensor, "Each", "ST", (120, 980)),
            _Kind("Pressure gauge", "PG", _spec_sensor, "Each", "ST", (18, 240)),
        ),
    ),
    _Family(
        "Lubricants",
        "LUBR",
        (
            _Kind("Gear oil", "GO", _spec_lubricant, "l", "L", (4, 19)),
            _Kind("Hydraulic oil", "HO", _spec_lubricant, "l", "L", (3, 14)),
        ),
    ),
    _Family(
        "Packaging",
        "PACK",
        (
            _Kind("PET bottle", "PB", _spec_bottle, "Each", "ST", (1, 4)),
            _Kind("HDPE canister", "HC", _spec_canister, "Each", "ST", (3, 18)),
            _Kind("Corrugated box", "CB", _spec_box, "Box", "KAR", (1, 9)),
            _Kind("Stretch film", "SF", _spec_film, "Roll", "ROL", (14, 48)),
            _Kind("Euro pallet", "EP", _spec_pallet, "Pallet", "PAL", (9, 28)),
        ),
    ),
)


@dataclass
class _Product:
    """A real product; two products may share a name and differ in spec."""

    entity_id: str
    family: _Family
    kind: _Kind
    name: str
    spec: str
    list_price: Decimal
    cost_price: Decimal
    matnr: str = ""
    in_crm: bool = True
    in_erp: bool = True


@dataclass
class _ProductRecord:
    """One product record of one system, before it is written."""

    product: _Product
    code: str | None
    name: str | None
    spec: str | None
    unit: str | None
    price: Decimal
    currency: str
    family: str | None
    created_at: str
    modified_at: str
    defect: str | None = None
    source_id: str = ""


def _price(rng: random.Random, low: int, high: int) -> Decimal:
    """Return a list price in EUR ending in .00, .50 or .90."""
    whole = Decimal(int(rng.uniform(low, high)))
    return whole + Decimal(rng.choice(("0.00", "0.50", "0.90")))


def _new_product(entity_id: str, rng: random.Random, names: set[str]) -> _Product:
    """Draw a product with a unique name."""
    family = rng.choice(_FAMILIES)
    kind = rng.choice(family.kinds)
    name = f"{kind.name} {kind.code}-{rng.randint(10, 999)}"
    while name in names:
        # Three-digit series run out in very large catalogues; then use five digits.
        name = f"{kind.name} {kind.code}-{rng.randint(10, 999 if len(names) < 5000 else 99999)}"
    names.add(name)
    price = _price(rng, *kind.price)
    # Cost price below list price, except for a few loss-making products.
    margin = rng.uniform(1.02, 1.2) if rng.random() < 0.03 else rng.uniform(0.45, 0.85)
    cost = (price * Decimal(str(round(margin, 3)))).quantize(_CENT)
    return _Product(entity_id, family, kind, name, kind.spec(rng), price, cost)


def _product_variant(entity_id: str, base: _Product, rng: random.Random) -> _Product:
    """Return another product with the same name but a different spec."""
    spec = base.kind.spec(rng)
    for _ in range(20):
        if spec != base.spec:
            break
        spec = base.kind.spec(rng)
    factor = Decimal(str(round(rng.uniform(0.8, 1.6), 2)))
    return replace(
        base,
        entity_id=entity_id,
        spec=spec,
        list_price=(base.list_price * factor).quantize(_CENT),
        cost_price=(base.cost_price * factor).quantize(_CENT),
    )


def _product_population(count: int, rng: random.Random) -> list[_Product]:
    """Draw ``count`` products; a tenth of the names come in two spec variants."""
    pairs = round(count * 0.1)
    names: set[str] = set()
    products: list[_Product] = []
    for _ in range(count - pairs):
        products.append(_new_product(f"P{len(products) + 1:05d}", rng, names))
    for base in rng.sample(products, pairs):
        products.append(_product_variant(f"P{len(products) + 1:05d}", base, rng))
    numbers = list(range(len(products)))
    rng.shuffle(numbers)
    for product, number in zip(products, numbers, strict=True):
        product.matnr = f"M-{100001 + number}"
    one_system = rng.sample(products, max(2, round(count * 0.06)))
    for index, product in enumerate(one_system):
        if index % 2:
            product.in_crm = False
        else:
            product.in_erp = False
    return products


_SPEC_REWRITES = (
    (r"\b([A-Z]{2})(\d)", r"\1 \2"),
    (r"(\d)x(\d)", r"\1 x \2"),
    (r"(\d)x(\d)", r"\1×\2"),
    (r"(\d) (mm|ml|l|kW|bar|µm)\b", r"\1\2"),
    (r"µm", "um"),
    (r", ", " / "),
    (r", ", " "),
    (r"(\d)-(\d)", r"\1 to \2"),
    (r"ISO VG ", "VG"),
)


def _vary_spec(spec: str, rng: random.Random) -> str:
    """Write a spec with other spacing, separators, units or case."""
    applicable = [(p, r) for p, r in _SPEC_REWRITES if re.search(p, spec)]
    for pattern, replacement in rng.sample(applicable, min(len(applicable), rng.choice((1, 1, 2)))):
        spec = re.sub(pattern, replacement, spec)
    return spec.upper() if rng.random() < 0.15 else spec


def _noisy_sku(matnr: str, rng: random.Random) -> str | None:
    """Write the ERP material number the way CRM users typed it as SKU."""
    digits = matnr.removeprefix("M-")
    return rng.choices(
        (matnr, f"M{digits}", f"m-{digits}", f" {matnr} ", digits, f"m{digits}", None),
        weights=(50, 15, 10, 7, 7, 5, 6),
    )[0]


def _crm_product_name(product: _Product, rng: random.Random) -> str:
    """Return the CRM's name of a product, sometimes with its spec or mistyped."""
    roll = rng.random()
    if roll < 0.08:
        return f"{product.name} {product.spec}"
    if roll < 0.16:
        return _typo(product.name, rng)
    if roll < 0.24:
        return rng.choice((product.name.upper(), product.name.lower()))
    return product.name


def _crm_product_record(product: _Product, tools: _Tools, *, duplicate: bool) -> _ProductRecord:
    """Render a CRM price-book product."""
    rng = tools.rng
    price = product.list_price
    if rng.random() < 0.08:
        # A stale price list: the CRM never got the last price increase.
        price = (price * Decimal(str(round(rng.uniform(0.9, 0.98), 2)))).quantize(_CENT)
    sku = _noisy_sku(product.matnr, rng)
    if duplicate:
        sku = None if rng.random() < 0.5 else _noisy_sku(product.matnr, rng)
    created, modified = tools.clock.created_modified()
    spec = _vary_spec(product.spec, rng) if rng.random() < 0.3 else product.spec
    return _ProductRecord(
        product=product,
        code=sku,
        name=_crm_product_name(product, rng),
        spec=None if rng.random() < 0.03 else spec,
        unit=product.kind.crm_unit,
        price=price,
        currency="EUR",
        family=None if rng.random() < 0.05 else product.family.name,
        created_at=created,
        modified_at=modified,
    )


def _erp_material_record(product: _Product, tools: _Tools, matnr: str) -> _ProductRecord:
    """Render an ERP material (upper-case, 40-char description, spec in ``groes``)."""
    rng = tools.rng
    name = product.name.upper() if rng.random() < 0.4 else product.name
    created, modified = tools.clock.created_modified()
    return _ProductRecord(
        product=product,
        code=matnr,
        name=name[:40],
        spec=_vary_spec(product.spec, rng) if rng.random() < 0.4 else product.spec,
        unit=product.kind.erp_unit,
        price=product.list_price,
        currency="EUR",
        family=product.family.group,
        created_at=created,
        modified_at=modified,
        source_id=matnr,
    )


def _plant_product_defect(record: _ProductRecord, defect: str, rng: random.Random) -> None:
    """Spoil one product record with the named defect."""
    record.defect = defect
    if defect == "no_name":
        record.name = rng.choice((None, ""))
    elif defect == "negative_price":
        record.price = -record.price
    else:
        record.currency = rng.choice(_UNKNOWN_CURRENCIES)


def _product_records(
    products: Sequence[_Product], tools: _Tools
) -> tuple[list[_ProductRecord], list[_ProductRecord]]:
    """Render CRM products (a few twice) and ERP materials (a few under a legacy number)."""
    rng = tools.rng
    crm: list[_ProductRecord] = []
    erp: list[_ProductRecord] = []
    legacy = 900001
    for product in products:
        if product.in_crm:
            crm.append(_crm_product_record(product, tools, duplicate=False))
            if rng.random() < 0.05:
                crm.append(_crm_product_record(product, tools, duplicate=True))
        if product.in_erp:
            erp.append(_erp_material_record(product, tools, product.matnr))
            if rng.random() < 0.02:
                # The same material created again under another number.
                erp.append(_erp_material_record(product, tools, f"M-{legacy}"))
                legacy += 1
    for records in (crm, erp):
        for index, defect in _defect_slots(rng, len(records), _PRODUCT_BAD_SHARE, _PRODUCT_DEFECTS):
            _plant_product_defect(records[index], defect, rng)
    _assign_ids(crm, rng, "PRD-{:05d}")
    erp.sort(key=lambda record: record.source_id)
    return crm, erp


def _crm_product_row(record: _ProductRecord) -> dict[str, Any]:
    """Return the ``products`` row of a CRM product record."""
    return {
        "product_id": record.source_id,
        "sku": record.code,
        "product_name": record.name,
        "description": record.spec,
        "uom": record.unit,
        "unit_price": _money(record.price),
        "currency_code": record.currency,
        "product_family": record.family,
        "created_at": record.created_at,
        "modified_at": record.modified_at,
        "mdm_golden_id": None,
    }


def _erp_material_row(record: _ProductRecord) -> dict[str, Any]:
    """Return the ``material_master`` row of an ERP material record."""
    return {
        "matnr": record.source_id,
        "maktx": record.name,
        "groes": record.spec,
        "meins": record.unit,
        "matkl": record.family,
        "kbetr": _money(record.price),
        "verpr": _money(record.product.cost_price),
        "waers": record.currency,
        "erdat": record.created_at,
        "aedat": record.modified_at,
        "mdm_golden_id": None,
    }


# --------------------------------------------------------------------------------------
# Opportunities, sales orders and costs
# --------------------------------------------------------------------------------------

_STAGES = (("Prospecting", 20), ("Negotiation", 20), ("Closed Won", 35), ("Closed Lost", 25))
_ORDER_STATUSES = (("entered", 15), ("shipped", 25), ("invoiced", 50), ("returned", 10))
_DEAL_PURPOSES = (
    "spare parts",
    "retrofit",
    "framework agreement",
    "plant expansion",
    "Q3 order",
    "annual demand",
    "replacement",
)
_COST_ELEMENTS = ("labour", "overhead", "freight")


def _in_currency(amount_eur: Decimal, currency: str) -> Decimal:
    """Convert a EUR price to ``currency`` at the sandbox's fixed rates, to cents."""
    return (amount_eur * _FX_PER_EUR.get(currency, Decimal(1))).quantize(_CENT)


def _quantity(product: _Product, rng: random.Random) -> int:
    """Return an order quantity that fits the product (pallets of bottles, few pumps)."""
    if product.list_price < 10:
        return rng.choice((100, 250, 500, 1000, 2000))
    if product.list_price < 200:
        return rng.randint(5, 120)
    return rng.randint(1, 12)


@dataclass
class _Line:
    """An order or opportunity line: what, how many, at which price and discount."""

    product: _Product
    quantity: int
    unit_price: Decimal
    discount_percent: int

    @property
    def discount_amount(self) -> Decimal:
        """The discount as an amount, rounded to cents."""
        gross = self.unit_price * self.quantity
        return (gross * self.discount_percent / 100).quantize(_CENT, rounding=ROUND_HALF_UP)

    @property
    def net(self) -> Decimal:
        """quantity × unit price − discount."""
        return self.unit_price * self.quantity - self.discount_amount


@dataclass
class _Opportunity:
    """A CRM deal with its lines."""

    opportunity_id: str
    account: _CustomerRecord
    name: str
    stage: str
    close_date: date
    currency: str
    lines: list[_Line]
    created_at: str
    modified_at: str


def _deal_lines(products: Sequence[_Product], currency: str, rng: random.Random) -> list[_Line]:
    """Draw 1-4 lines of distinct products priced in ``currency``."""
    picked = rng.sample(list(products), rng.choice((1, 1, 2, 2, 3, 4)))
    return [
        _Line(
            product,
            _quantity(product, rng),
            _in_currency(product.list_price, currency),
            rng.choice((0, 0, 0, 2, 5, 10, 15)),
        )
        for product in picked
    ]


def _opportunities(
    count: int,
    accounts: Sequence[_CustomerRecord],
    products: Sequence[_Product],
    tools: _Tools,
) -> list[_Opportunity]:
    """Draw CRM opportunities on random accounts with lines of CRM products."""
    rng, clock = tools.rng, tools.clock
    deals = []
    for number in range(1, count + 1):
        account = rng.choice(accounts)
        currency = account.entity.currency
        lines = _deal_lines(products, currency, rng)
        created = clock.instant(0, 300 * 24 * 60)
        close = (created + timedelta(days=rng.randint(14, 120))).date()
        modified = clock.modified_after(created, 60)
        short_name = (account.name or "Unknown").strip()[:30]
        deals.append(
            _Opportunity(
                opportunity_id=f"OPP-{number:06d}",
                account=account,
                name=f"{short_name} – {lines[0].product.family.name} {rng.choice(_DEAL_PURPOSES)}",
                stage=_weighted(rng, _STAGES),
                close_date=close,
                currency=currency,
                lines=lines,
                created_at=_iso(created),
                modified_at=_iso(modified),
            )
        )
    return deals


@dataclass
class _Order:
    """An ERP sales order with its items."""

    vbeln: str
    kunnr: str
    order_date: date
    currency: str
    items: list[tuple[str, _Line]]
    status: str
    bstnk: str | None
    created_at: datetime
    modified_at: datetime
    header_error: Decimal = Decimal(0)


def _won_deal_orders(
    deals: Sequence[_Opportunity],
    erp_customers: Mapping[str, list[_CustomerRecord]],
    matnr_of: Mapping[str, str],
    rng: random.Random,
) -> list[tuple[_CustomerRecord, _Opportunity, list[tuple[str, _Line]]]]:
    """Pick the won deals that became ERP orders and map their lines to materials."""
    picked = []
    for deal in deals:
        records = erp_customers.get(deal.account.entity.entity_id)
        if deal.stage != "Closed Won" or not records or rng.random() > 0.85:
            continue
        items = []
        for line in deal.lines:
            matnr = matnr_of.get(line.product.entity_id)
            if matnr is None:
                continue
            if rng.random() < 0.03:
                # The customer changed the quantity after the deal: an amount mismatch.
                line = replace(line, quantity=max(1, line.quantity + rng.choice((-1, 1, 5))))
            items.append((matnr, line))
        if items:
            customer = records[0] if rng.random() < 0.9 else rng.choice(records)
            picked.append((customer, deal, items))
    return picked


def _random_order_items(
    materials: Sequence[_Product], matnr_of: Mapping[str, str], currency: str, rng: random.Random
) -> list[tuple[str, _Line]]:
    """Draw 1-5 items of an order that did not come from a CRM deal."""
    picked = rng.sample(list(materials), rng.randint(1, 5))
    items = []
    for product in picked:
        discount = 0 if rng.random() < 0.6 else rng.choice((2, 3, 5, 8, 10))
        line = _Line(
            product, _quantity(product, rng), _in_currency(product.list_price, currency), discount
        )
        items.append((matnr_of[product.entity_id], line))
    return items


def _sales_orders(
    count: int,
    deals: Sequence[_Opportunity],
    erp_records: Sequence[_CustomerRecord],
    materials: Sequence[_Product],
    matnr_of: Mapping[str, str],
    tools: _Tools,
) -> list[_Order]:
    """Draw ERP sales orders: won CRM deals (``bstnk`` = opportunity id) plus others."""
    rng, clock = tools.rng, tools.clock
    by_entity: dict[str, list[_CustomerRecord]] = {}
    for record in erp_records:
        if not record.deleted:
            by_entity.setdefault(record.entity.entity_id, []).append(record)
    active = [r for r in erp_records if not r.deleted]
    sources: list[tuple[_CustomerRecord, _Opportunity | None, list[tuple[str, _Line]]]] = []
    sources.extend(_won_deal_orders(deals, by_entity, matnr_of, rng)[:count])
    while len(sources) < count:
        customer = rng.choice(active)
        sources.append(
            (
                customer,
                None,
                _random_order_items(materials, matnr_of, customer.entity.currency, rng),
            )
        )
    rng.shuffle(sources)
    orders = []
    for number, (customer, deal, items) in enumerate(sources, start=1):
        if deal is not None:
            ordered = datetime.combine(deal.close_date, datetime.min.time(), UTC)
            ordered += timedelta(days=rng.randint(0, 10), minutes=rng.randrange(600, 1080))
            reference: str | None = deal.opportunity_id
        else:
            ordered = clock.instant(0, 350 * 24 * 60)
            reference = f"PO-{rng.randint(1000, 99999)}" if rng.random() < 0.4 else None
        orders.append(
            _Order(
                vbeln=f"{10000000 + number:010d}",
                kunnr=customer.source_id,
                order_date=ordered.date(),
                currency=customer.entity.currency,
                items=items,
                status=_weighted(rng, _ORDER_STATUSES),
                bstnk=reference,
                created_at=ordered,
                modified_at=clock.modified_after(ordered, 45),
            )
        )
    # A handful of headers were not updated after an item change: netwr ≠ sum of items.
    for order in rng.sample(orders, max(1, len(orders) // 150)):
        order.header_error = Decimal(rng.choice(("10.00", "-25.50", "100.00", "0.01")))
    return orders


def _order_costs(order: _Order, rng: random.Random) -> list[tuple[str, Decimal]]:
    """Split an order's actual cost into 1-4 cost elements (none while only entered)."""
    if order.status == "entered":
        return []
    revenue = sum((line.net for _, line in order.items), Decimal(0))
    ratio = rng.uniform(1.0, 1.25) if rng.random() < 0.05 else rng.uniform(0.55, 0.95)
    total = revenue * Decimal(str(round(ratio, 3)))
    elements = ["material", *rng.sample(_COST_ELEMENTS, rng.randint(0, 3))]
    shares = [rng.uniform(3.0, 5.0)] + [rng.uniform(0.3, 1.0) for _ in elements[1:]]
    scale = sum(shares)
    return [
        (element, (total * Decimal(str(share / scale))).quantize(_CENT))
        for element, share in zip(elements, shares, strict=True)
    ]


def _deal_rows(
    deals: Sequence[_Opportunity], crm_product_id: Mapping[str, str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return the ``opportunities`` and ``opportunity_lines`` rows.

    Args:
        deals: The opportunities.
        crm_product_id: Product entity id → the CRM product record lines point to.
    """
    heads: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    for deal in deals:
        heads.append(
            {
                "opportunity_id": deal.opportunity_id,
                "account_id": deal.account.source_id,
                "opportunity_name": deal.name,
                "stage": deal.stage,
                "close_date": deal.close_date.isoformat(),
                "currency_code": deal.currency,
                "amount": _money(sum((line.net for line in deal.lines), Decimal(0))),
                "created_at": deal.created_at,
                "modified_at": deal.modified_at,
            }
        )
        for line in deal.lines:
            lines.append(
                {
                    "line_id": f"OPL-{len(lines) + 1:07d}",
                    "opportunity_id": deal.opportunity_id,
                    "product_id": crm_product_id[line.product.entity_id],
                    "quantity": str(line.quantity),
                    "unit_price": _money(line.unit_price),
                    "discount": str(line.discount_percent),
                    "total_price": _money(line.net),
                }
            )
    return heads, lines


def _order_rows(
    orders: Sequence[_Order], rng: random.Random, clock: _Clock
) -> dict[str, list[dict[str, Any]]]:
    """Return the ``sales_orders``, ``sales_order_items`` and ``order_costs`` rows."""
    heads: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    costs: list[dict[str, Any]] = []
    for order in orders:
        total = Decimal(0)
        for position, (matnr, line) in enumerate(order.items, start=1):
            total += line.net
            items.append(
                {
                    "vbeln": order.vbeln,
                    "posnr": position * 10,
                    "matnr": matnr,
                    "kwmeng": str(line.quantity),
                    "netpr": _money(line.unit_price),
                    "rabatt": _money(line.discount_amount),
                    "netwr": _money(line.net),
                }
            )
        heads.append(
            {
                "vbeln": order.vbeln,
                "kunnr": order.kunnr,
                "audat": order.order_date.isoformat(),
                "waerk": order.currency,
                "netwr": _money(total + order.header_error),
                "status": order.status,
                "bstnk": order.bstnk,
                "erdat": _iso(order.created_at),
                "aedat": _iso(order.modified_at),
            }
        )
        for element, amount in _order_costs(order, rng):
            posted = order.created_at + timedelta(days=rng.randint(1, 30))
            costs.append(
                {
                    "belnr": f"{100000000 + len(costs) + 1:010d}",
                    "vbeln": order.vbeln,
                    "kstar": element,
                    "wkgbtr": _money(amount),
                    "waers": order.currency,
                    "budat": posted.date().isoformat(),
                    "erdat": _iso(posted),
                    "aedat": _iso(clock.modified_after(posted, 20)),
                }
            )
    return {"sales_orders": heads, "sales_order_items": items, "order_costs": costs}


# --------------------------------------------------------------------------------------
# Writing the files
# --------------------------------------------------------------------------------------


def _insert_rows(conn: sqlite3.Connection, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows (dicts keyed by column) with bound parameters in one executemany."""
    columns = [info[1] for info in conn.execute(f"PRAGMA table_info({table})")]
    for row in rows[:1]:
        unknown = set(row) - set(columns)
        if unknown:
            raise ValueError(f"{table}: unknown columns {sorted(unknown)}")
    placeholders = ", ".join("?" for _ in columns)
    # Table and column names come from the fixed schema above, never from data.
    statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608
    conn.executemany(statement, [tuple(row.get(c) for c in columns) for row in rows])


def _write_database(
    path: Path,
    create_schema: Callable[[sqlite3.Connection], None],
    tables: Mapping[str, Sequence[Mapping[str, Any]]],
) -> None:
    """Create a SQLite database at ``path`` holding ``tables``."""
    conn = sqlite3.connect(path)
    try:
        create_schema(conn)
        with conn:
            for table, rows in tables.items():
                _insert_rows(conn, table, rows)
    finally:
        conn.close()


def _write_truth(path: Path, rows: Sequence[tuple[str, str, str, str, str]]) -> None:
    """Write ``truth.csv``."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(TRUTH_COLUMNS)
        writer.writerows(rows)


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedReport:
    """What ``seed_sandboxes`` wrote.

    Attributes:
        crm_path: The sandbox CRM database (``crm.db``).
        erp_path: The sandbox ERP database (``erp.db``).
        truth_path: The truth file (``truth.csv``).
        counts: Rows per table per system, e.g. ``counts["sandbox_crm"]["accounts"]``.
    """

    crm_path: Path
    erp_path: Path
    truth_path: Path
    counts: dict[str, dict[str, int]]


@dataclass
class _Sandbox:
    """All generated rows of both systems and the truth, ready to be written."""

    crm: dict[str, list[dict[str, Any]]]
    erp: dict[str, list[dict[str, Any]]]
    truth: list[tuple[str, str, str, str, str]]


def _customers_stage(
    seed: int, companies: int, fakers: Mapping[str, Faker]
) -> tuple[list[_Customer], list[_CustomerRecord], list[_CustomerRecord]]:
    """Draw the customers and render, spoil and number their CRM and ERP records."""
    rng = _stream(seed, "customers")
    tools = _Tools(rng, fakers, _Clock(_stream(seed, "customer-clock")))
    customers = _customer_population(companies, tools)
    crm = _crm_customer_records(customers, tools)
    erp = _erp_customer_records(customers, tools)
    for records, share in ((crm, _CRM_BAD_SHARE), (erp, _ERP_BAD_SHARE)):
        for index, defect in _defect_slots(rng, len(records), share, _CUSTOMER_DEFECTS):
            _plant_customer_defect(records[index], defect, rng)
    _assign_ids(crm, rng, "ACC-{:06d}")
    _assign_ids(erp, rng, "{:010d}", start=100001)
    return customers, crm, erp


def _build(seed: int, companies: int) -> _Sandbox:
    """Generate every row of both sandboxes and the truth for one seed."""
    fakers = _fakers(seed)
    customers, crm_customers, erp_customers = _customers_stage(seed, companies, fakers)

    account_ids: dict[str, list[str]] = {}
    for record in sorted(crm_customers, key=lambda r: (r.duplicate, r.source_id)):
        account_ids.setdefault(record.entity.entity_id, []).append(record.source_id)
    contact_tools = _Tools(_stream(seed, "contacts"), fakers, _Clock(_stream(seed, "c-clock")))
    contacts = _crm_contact_records(customers, account_ids, contact_tools)
    _assign_ids(contacts, contact_tools.rng, "CON-{:06d}")

    product_tools = _Tools(_stream(seed, "products"), fakers, _Clock(_stream(seed, "p-clock")))
    products = _product_population(max(20, round(companies / 3)), product_tools.rng)
    crm_products, erp_materials = _product_records(products, product_tools)

    order_tools = _Tools(_stream(seed, "orders"), fakers, _Clock(_stream(seed, "o-clock")))
    crm_product_id: dict[str, str] = {}
    for product_record in sorted(crm_products, key=lambda r: r.source_id):
        crm_product_id.setdefault(product_record.product.entity_id, product_record.source_id)
    sellable = [p for p in products if p.in_crm]
    deals = _opportunities(
        round(companies * 1.25),
        sorted(crm_customers, key=lambda r: r.source_id),
        sellable,
        order_tools,
    )
    deal_heads, deal_lines = _deal_rows(deals, crm_product_id)
    matnr_of = {p.entity_id: p.matnr for p in products if p.in_erp}
    orders = _sales_orders(
        companies,
        deals,
        sorted(erp_customers, key=lambda r: r.source_id),
        [p for p in products if p.in_erp],
        matnr_of,
        order_tools,
    )

    crm_primary, erp_primary = _primary_ids(crm_customers), _primary_ids(erp_customers)
    crm_tables = {
        "accounts": [
            _crm_account_row(r, crm_primary)
            for r in sorted(crm_customers, key=lambda r: r.source_id)
        ],
        "contacts": [_contact_row(r) for r in sorted(contacts, key=lambda r: r.source_id)],
        "products": [_crm_product_row(r) for r in sorted(crm_products, key=lambda r: r.source_id)],
        "opportunities": deal_heads,
        "opportunity_lines": deal_lines,
    }
    erp_tables = {
        "customer_master": [
            _erp_customer_row(r, erp_primary)
            for r in sorted(erp_customers, key=lambda r: r.source_id)
        ],
        "material_master": [_erp_material_row(r) for r in erp_materials],
        **_order_rows(orders, order_tools.rng, order_tools.clock),
    }
    truth = _truth_rows(crm_customers, erp_customers, contacts, crm_products, erp_materials)
    return _Sandbox(crm_tables, erp_tables, truth)


def _truth_rows(
    crm_customers: Sequence[_CustomerRecord],
    erp_customers: Sequence[_CustomerRecord],
    contacts: Sequence[_ContactRecord],
    crm_products: Sequence[_ProductRecord],
    erp_materials: Sequence[_ProductRecord],
) -> list[tuple[str, str, str, str, str]]:
    """Return one truth row per customer, contact and product record, sorted."""
    rows = [
        (CRM_SYSTEM, "customer", r.source_id, r.entity.entity_id, r.defect or "")
        for r in crm_customers
    ]
    rows += [
        (ERP_SYSTEM, "customer", r.source_id, r.entity.entity_id, r.defect or "")
        for r in erp_customers
    ]
    rows += [(CRM_SYSTEM, "contact", r.source_id, r.entity_id, r.defect or "") for r in contacts]
    rows += [
        (CRM_SYSTEM, "product", r.source_id, r.product.entity_id, r.defect or "")
        for r in crm_products
    ]
    rows += [
        (ERP_SYSTEM, "product", r.source_id, r.product.entity_id, r.defect or "")
        for r in erp_materials
    ]
    return sorted(rows)


def seed_sandboxes(
    directory: Path, *, seed: int = 7, companies: int = 1200, overwrite: bool = False
) -> SeedReport:
    """Generate the sandbox CRM, ERP and truth file into ``directory``.

    The result depends only on ``seed`` and ``companies``: the same arguments always
    give the same tables and truth.

    Args:
        directory: Folder to write ``crm.db``, ``erp.db`` and ``truth.csv`` into; created
            if missing.
        seed: Seed of every random choice.
        companies: Number of real companies; persons, branches, contacts, products,
            opportunities and orders scale with it.
        overwrite: Replace existing files instead of refusing.

    Returns:
        The paths written and the row count of every table.

    Raises:
        FileExistsError: One of the files exists and ``overwrite`` is false.
        ValueError: ``companies`` is smaller than 10.
    """
    if companies < 10:
        raise ValueError(f"companies must be at least 10, got {companies}")
    directory = Path(directory)
    crm_path, erp_path = directory / "crm.db", directory / "erp.db"
    truth_path = directory / "truth.csv"
    existing = [p for p in (crm_path, erp_path, truth_path) if p.exists()]
    if existing and not overwrite:
        raise FileExistsError(f"sandbox files exist (pass overwrite=True): {existing[0]}")
    directory.mkdir(parents=True, exist_ok=True)
    sandbox = _build(seed, companies)
    for target, create, tables in (
        (crm_path, create_crm_schema, sandbox.crm),
        (erp_path, create_erp_schema, sandbox.erp),
    ):
        # Write next to the target and rename, so a failed run never leaves half a file.
        partial = target.with_name(f".{target.name}.partial")
        partial.unlink(missing_ok=True)
        _write_database(partial, create, tables)
        partial.replace(target)
    _write_truth(truth_path, sandbox.truth)
    counts = {
        CRM_SYSTEM: {table: len(sandbox.crm[table]) for table in CRM_TABLES},
        ERP_SYSTEM: {table: len(sandbox.erp[table]) for table in ERP_TABLES},
    }
    return SeedReport(crm_path, erp_path, truth_path, counts)
