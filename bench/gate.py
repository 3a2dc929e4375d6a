"""Quality-gate benchmark: wall time and peak memory of the GX customer suite.

Generates N synthetic staged customer records (canonical JSON form, realistic values,
about 2 % planted defects), then times ``validate_records("customer", "staged", rows)``
with the GX import and context set-up timed separately. Each size runs in its own
process so its peak RSS is its own. Prints a table and writes ``bench/out/gate.json``::

    python -m bench.gate --rows 100000 1000000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

OUT = Path(__file__).parent / "out" / "gate.json"
DEFECT_SHARE = 0.02

_COUNTRIES = {
    # code: (currency, calling code, phone formats, e-mail TLD)
    "DE": ("EUR", "49", ("0{a} {s}", "+49 {a} {s}", "+49 (0){a} {s}"), "de"),
    "GB": ("GBP", "44", ("0{a} {s}", "+44 {a} {s}", "0044 {a} {s}"), "co.uk"),
    "US": ("USD", "1", ("({a}) {s3}-{s4}", "+1 {a}-{s3}-{s4}", "{a}-{s3}-{s4}"), "com"),
    "FR": ("EUR", "33", ("0{a} {s}", "+33 {a} {s}", "0033 {a} {s}"), "fr"),
    "NL": ("EUR", "31", ("0{a}-{s}", "+31 {a} {s}", "+31{a}{s}"), "nl"),
    "CN": ("CNY", "86", ("0{a} {s}", "+86 {a} {s}", "+86{a}{s}"), "com.cn"),
}
_STEMS = np.array(
    "Apex Atlas Nordstern Vector Orion Summit Meridian Polaris Helix Triton Vertex Nova "  # noqa: SIM905
    "Keller Schmidt Carter Dubois Visser Bakker Evans Garcia Moreau Wagner Lambert".split()
)
_TRADES = np.array("Pumpen Packaging Industrie Technik Systems Components Hydraulik".split())  # noqa: SIM905
_FORMS = np.array(["GmbH", "Ltd", "Inc.", "SAS", "B.V.", "AG", "LLC", "有限公司"])
_BAD_EMAILS = np.array(["info@@x.de", "kontakt.example.com", "sales@", "a b@c.de"])
_BAD_CURRENCIES = np.array(["EURO", "XXY", "DOLLAR"])


def _phones(rng: np.random.Generator, countries: np.ndarray) -> list[str]:
    areas = rng.integers(20, 999, len(countries))
    subscribers = rng.integers(2_000_000, 9_999_999, len(countries))
    styles = rng.integers(0, 3, len(countries))
    phones = []
    for country, area, sub, style in zip(countries, areas, subscribers, styles, strict=True):
        text = str(sub)
        template = _COUNTRIES[country][2][style]
        phones.append(template.format(a=area, s=text, s3=text[:3], s4=text[3:]))
    return phones


def _tax_id(country: str, number: int) -> str | None:
    """A tax id in the country's format (check digits are not computed)."""
    digits = str(number)
    return {
        "DE": f"DE{digits}",
        "GB": f"GB {digits[:3]} {digits[3:6]} {digits[6:]}",
        "FR": f"FR{digits[:2]}{digits}",
        "NL": f"NL{digits}B01",
        "CN": f"91{digits[:6]}{digits}X",
    }.get(country)


def synthetic_customers(n: int, seed: int = 7) -> list[tuple[str, str, dict[str, Any]]]:
    """Return ``n`` staged customer rows ``(system, source_id, canonical)``, ~2 % bad."""
    rng = np.random.default_rng(seed)
    codes = np.array(list(_COUNTRIES))
    countries = codes[rng.integers(0, len(codes), n)]
    stems = _STEMS[rng.integers(0, len(_STEMS), n)]
    names = [
        f"{s} {t} {f}"
        for s, t, f in zip(
            stems,
            _TRADES[rng.integers(0, len(_TRADES), n)],
            _FORMS[rng.integers(0, len(_FORMS), n)],
            strict=True,
        )
    ]
    numbers = rng.integers(100_000_000, 999_999_999, n)
    limits = rng.integers(0, 500, n) * 1000
    phones = _phones(rng, countries)
    defect = rng.random(n) < DEFECT_SHARE
    kinds = rng.integers(0, 4, n)
    rows = []
    for i in range(n):
        country = str(countries[i])
        currency, _, _, tld = _COUNTRIES[country]
        stem = str(stems[i]).lower()
        record: dict[str, Any] = {
            "kind": "company",
            "name": names[i],
            "tax_id": _tax_id(country, int(numbers[i])),
            "email": f"info@{stem}{i % 997}.{tld}",
            "phone": phones[i],
            "website": None,
            "bill_to": {
                "street": f"Hauptstr. {i % 200 + 1}",
                "postcode": f"{10000 + i % 89999}",
                "city": "Hamburg",
                "region": None,
                "country": country,
            },
            "ship_to": {
                "street": None,
                "postcode": None,
                "city": None,
                "region": None,
                "country": country,
            },
            "credit_limit": {"amount": f"{limits[i]}.00", "currency": currency},
            "payment_terms": "NET30",
            "currency": currency,
            "owners": [],
        }
        if defect[i]:
            kind = kinds[i]
            if kind == 0:
                record["name"] = "" if i % 2 else None
            elif kind == 1:
                record["email"] = str(_BAD_EMAILS[i % len(_BAD_EMAILS)])
            elif kind == 2:
                record["currency"] = str(_BAD_CURRENCIES[i % len(_BAD_CURRENCIES)])
            else:
                record["credit_limit"]["amount"] = f"-{limits[i] + 1000}.00"
        system = "bench_crm" if i % 3 else "bench_erp"
        rows.append((system, f"C{i:08d}", record))
    return rows


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def measure(n: int) -> dict[str, Any]:
    """Generate ``n`` records and time one validation of them (this process)."""
    start = time.perf_counter()
    from quality.validation import validate_records, warm_up

    warm_up()
    import_seconds = time.perf_counter() - start
    start = time.perf_counter()
    rows = synthetic_customers(n)
    generate_seconds = time.perf_counter() - start
    rss_before = _peak_rss_mb()
    start = time.perf_counter()
    outcome = validate_records("customer", "staged", rows)
    validate_seconds = time.perf_counter() - start
    return {
        "rows": n,
        "gx_import_seconds": round(import_seconds, 2),
        "generate_seconds": round(generate_seconds, 2),
        "validate_seconds": round(validate_seconds, 2),
        "rows_per_second": round(n / validate_seconds),
        "peak_rss_mb_before_validate": rss_before,
        "peak_rss_mb": _peak_rss_mb(),
        "failed_records": len({(f.system, f.source_id) for f in outcome.failures}),
        "failures_per_rule": {
            o.rule + (f" ({o.column})" if o.column else ""): o.failed
            for o in outcome.outcomes
            if o.failed
        },
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark for each ``--rows`` size in a child process."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child)))
        return 0
    results = []
    for n in args.rows:
        child = subprocess.run(
            [sys.executable, "-m", "bench.gate", "--child", str(n)],
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode != 0:
            print(child.stderr[-2000:], file=sys.stderr)
            return child.returncode
        results.append(json.loads(child.stdout.strip().splitlines()[-1]))
    header = (
        f"{'rows':>10} {'gx import s':>11} {'validate s':>10} {'rows/s':>9} {'peak RSS MB':>11}"
    )
    print(header)
    for r in results:
        print(
            f"{r['rows']:>10} {r['gx_import_seconds']:>11} {r['validate_seconds']:>10} "
            f"{r['rows_per_second']:>9} {r['peak_rss_mb']:>11}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
