"""Bulk API 2.0 jobs: a query job read page by page, and an ingest job (upsert/update).

A query job: create it (``POST jobs/query``), poll until ``JobComplete``, then read CSV
result pages, each naming the next with the ``Sforce-Locator`` header (``null`` at the
end). An ingest job: create it, upload one CSV, mark it ``UploadComplete``, poll, then read
the successful and failed results.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from connectors.errors import FatalError, RetriableError
from connectors.http import HttpClient
from connectors.salesforce.records import csv_rows

DONE = "JobComplete"
FAILED = frozenset({"Failed", "Aborted"})


@dataclass
class IngestOutcome:
    """What an ingest job did, row by row."""

    succeeded: list[dict[str, Any]] = field(default_factory=list)
    """Rows of ``successfulResults``: ``sf__Id``, ``sf__Created`` and the uploaded columns."""
    failed: list[dict[str, Any]] = field(default_factory=list)
    """Rows of ``failedResults``: ``sf__Id``, ``sf__Error`` and the uploaded columns."""


class BulkApi:
    """Runs Bulk API 2.0 jobs through one org's client."""

    def __init__(
        self,
        client: HttpClient,
        api_root: str,
        *,
        poll_seconds: float,
        timeout_seconds: float,
        observe: Callable[[httpx.Response], None] = lambda r: None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.api_root = api_root
        self.poll_seconds = poll_seconds
        self.timeout_seconds = timeout_seconds
        self._observe = observe
        self._sleep = sleep
        self._clock = clock

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.client.request(method, f"{self.api_root}{path}", **kwargs)
        self._observe(response)
        return response.json() if response.content else None

    def _wait(self, kind: str, job_id: str) -> dict[str, Any]:
        deadline = self._clock() + self.timeout_seconds
        while True:
            job = self._json("GET", f"/jobs/{kind}/{job_id}")
            state = job.get("state")
            if state == DONE:
                return dict(job)
            if state in FAILED:
                raise FatalError(
                    self.client.system,
                    f"Bulk API {kind} job {job_id} ended {state}: "
                    f"{job.get('errorMessage') or 'no message'}",
                )
            if self._clock() >= deadline:
                raise RetriableError(
                    self.client.system,
                    f"Bulk API {kind} job {job_id} still {state} after "
                    f"{self.timeout_seconds:.0f} s",
                )
            self._sleep(self.poll_seconds)

    def start_query(self, soql: str, *, include_deleted: bool = False) -> str:
        """Create a query job and return its id."""
        job = self._json(
            "POST",
            "/jobs/query",
            json={"operation": "queryAll" if include_deleted else "query", "query": soql},
        )
        return str(job["id"])

    def query_pages(
        self, job_id: str, max_records: int, locator: str | None = None
    ) -> Iterator[tuple[list[dict[str, Any]], str | None]]:
        """Wait for the query job, then yield (rows, locator of the next page) per page.

        Args:
            locator: Resume at this result page (a locator of an earlier read).
        """
        self._wait("query", job_id)
        while True:
            params: dict[str, Any] = {"maxRecords": max_records}
            if locator:
                params["locator"] = locator
            response = self.client.request(
                "GET",
                f"{self.api_root}/jobs/query/{job_id}/results",
                params=params,
                headers={"Accept": "text/csv"},
            )
            self._observe(response)
            following = response.headers.get("Sforce-Locator")
            following = None if following in (None, "", "null") else following
            yield list(csv_rows(response.text)), following
            if following is None:
                return
            locator = following

    def ingest(
        self, sobject: str, operation: str, csv_body: str, external_id: str | None = None
    ) -> IngestOutcome:
        """Run one ingest job over ``csv_body`` and return its per-row outcome."""
        spec: dict[str, Any] = {
            "object": sobject,
            "operation": operation,
            "contentType": "CSV",
            "lineEnding": "LF",
        }
        if external_id:
            spec["externalIdFieldName"] = external_id
        job_id = str(self._json("POST", "/jobs/ingest", json=spec)["id"])
        self._json(
            "PUT",
            f"/jobs/ingest/{job_id}/batches",
            content=csv_body.encode(),
            headers={"Content-Type": "text/csv"},
        )
        self._json(
            "PATCH",
            f"/jobs/ingest/{job_id}",
            json={"state": "UploadComplete"},
            idempotent=True,  # setting a state twice is harmless
        )
        self._wait("ingest", job_id)
        outcome = IngestOutcome()
        for kind, rows in (
            ("successfulResults", outcome.succeeded),
            ("failedResults", outcome.failed),
        ):
            response = self.client.request(
                "GET",
                f"{self.api_root}/jobs/ingest/{job_id}/{kind}",
                headers={"Accept": "text/csv"},
            )
            self._observe(response)
            rows.extend(csv_rows(response.text))
        return outcome
