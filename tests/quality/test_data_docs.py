"""Tests of the GX Data Docs build: offline, masked, one site across runs."""

from __future__ import annotations

import socket

import pytest

from quality.data_docs import build_data_docs, data_docs_index
from quality.validation import validate_records


@pytest.fixture
def offline(monkeypatch):
    """Fail any attempt to open a network connection."""

    def refuse(*args, **kwargs):
        raise AssertionError("Data Docs must build without network access")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def _contacts():
    good = {"last_name": "Doe", "email": "jane.doe@acme.de", "customer_source_id": "C1"}
    bad = {"last_name": "Roe", "email": "secret.person@@acme.de", "customer_source_id": "C1"}
    return [("crm", "K1", good), ("crm", "K2", bad)]


def _html(root) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in root.rglob("*.html"))


def test_build_data_docs_offline_and_masked(tmp_path, offline):
    customers = {("crm", f"C{n}") for n in range(1000)}
    outcome = validate_records("contact", "staged", _contacts(), {"customer": customers})
    index = build_data_docs(tmp_path / "gx-project", [outcome], run_name="run-1")

    assert index == data_docs_index(tmp_path / "gx-project")
    assert index.is_file()
    site = index.parent
    pages = [p.relative_to(site).as_posix() for p in site.rglob("*.html")]
    assert any(p.startswith("validations/contact/staged/run-1/") for p in pages)
    assert "expectations/contact/staged.html" in pages
    html = _html(site)
    assert "secret.person" not in html  # personal values are masked
    assert "s***@@acme.de" in html
    assert "more" in html  # the 1000-key reference set is cut, not listed


def test_runs_accumulate_in_one_site(tmp_path, offline):
    project = tmp_path / "gx-project"
    first = validate_records("contact", "staged", _contacts())
    order = {
        "customer_source_id": "C1",
        "total": {"amount": "10", "currency": "EUR"},
        "lines": [
            {"line_no": 1, "quantity": "1", "unit_price": {"amount": "10", "currency": "EUR"}}
        ],
    }
    second = validate_records("order", "staged", [("erp", "O1", order)])
    build_data_docs(project, [first], run_name="run-1")
    index = build_data_docs(project, [second], run_name="run-2")
    pages = {p.relative_to(index.parent).parts[:2] for p in index.parent.rglob("*.html")}
    assert ("validations", "contact") in pages
    assert ("validations", "order") in pages
    assert ("validations", "order_line") in pages
    html = index.read_text(encoding="utf-8")
    assert "run-1" in html and "run-2" in html


def test_unmasked_site_shows_values(tmp_path, offline):
    outcome = validate_records("contact", "staged", _contacts())
    index = build_data_docs(tmp_path / "p", [outcome], unmasked=True)
    assert "secret.person@@acme.de" in _html(index.parent)
