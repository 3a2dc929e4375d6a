"""Settings of the Salesforce connector (one block under ``systems:`` in crmsync.yaml)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from connectors.http import HttpSettings, RetryPolicy


class ChildQuery(BaseModel):
    """A parent-to-child subquery pulled with each record (e.g. an opportunity's lines)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    relationship: str = Field(description="Child relationship name, e.g. `OpportunityLineItems`.")
    fields: list[str] = Field(description="Child fields to read.")


def _default_children() -> dict[str, ChildQuery]:
    return {
        "Opportunity": ChildQuery(
            relationship="OpportunityLineItems",
            fields=[
                "Id",
                "Product2Id",
                "Product2.ProductCode",
                "Quantity",
                "UnitPrice",
                "Discount",
                "TotalPrice",
                "SortOrder",
            ],
        )
    }


class SalesforceConfig(BaseModel):
    """How to reach one Salesforce org and how to pull from and push to it."""

    model_config = ConfigDict(extra="forbid")

    instance_url: str = Field(
        description="The org's My Domain URL, e.g. `https://acme.my.salesforce.com`."
    )
    api_version: str = Field("62.0", description="REST API version, e.g. `62.0`.")
    client_id: str | None = Field(
        None, description="Consumer key of the connected app (client-credentials flow)."
    )
    client_secret: SecretStr | None = Field(
        None, description="Consumer secret of the connected app; give it as `${ENV_VAR}`."
    )
    token_url: str | None = Field(
        None, description="Token endpoint; defaults to `<instance_url>/services/oauth2/token`."
    )
    access_token: SecretStr | None = Field(
        None, description="A ready bearer token instead of client credentials (no refresh)."
    )
    lag_seconds: float = Field(
        10.0, ge=0, description="Leave changes of the last N seconds to the next run."
    )
    query_batch_size: int = Field(
        2000, ge=200, le=2000, description="Records per REST query page (Sforce-Query-Options)."
    )
    bulk_query_threshold: int = Field(
        50_000, ge=1, description="Windows with more records are pulled with a Bulk API 2.0 job."
    )
    bulk_page_records: int = Field(
        50_000, ge=1, description="Records per Bulk API 2.0 result page (maxRecords)."
    )
    bulk_push_threshold: int = Field(
        200, ge=1, description="Pushes of this many rows or more go through Bulk API 2.0 ingest."
    )
    bulk_poll_seconds: float = Field(2.0, gt=0, description="Wait between job status polls.")
    bulk_timeout_seconds: float = Field(
        3600.0, gt=0, description="Give up on a Bulk API 2.0 job after this long."
    )
    quota_reserve: int = Field(
        1000,
        ge=0,
        description="Daily API requests left untouched for other integrations; a pull that "
        "would go below stops with a clear failure.",
    )
    children: dict[str, ChildQuery] = Field(
        default_factory=_default_children,
        description="Per object, a child relationship pulled with each record.",
    )
    timeout_seconds: float = Field(60.0, gt=0, description="Per-call timeout.")
    requests_per_second: float | None = Field(None, gt=0, description="Request-rate budget.")
    ca_bundle: str | None = Field(None, description="CA bundle for a private CA.")
    retry: RetryPolicy = Field(default_factory=RetryPolicy)

    @model_validator(mode="after")
    def _credentials(self) -> SalesforceConfig:
        if self.access_token is None and (self.client_id is None or self.client_secret is None):
            raise ValueError("give client_id and client_secret (or an access_token)")
        return self

    @property
    def api_root(self) -> str:
        """Path prefix of the REST API of the configured version."""
        return f"/services/data/v{self.api_version}"

    def http_settings(self) -> HttpSettings:
        """Return the transport settings of the org."""
        return HttpSettings(
            base_url=self.instance_url.rstrip("/"),
            timeout_seconds=self.timeout_seconds,
            requests_per_second=self.requests_per_second,
            ca_bundle=self.ca_bundle,
            retry=self.retry,
        )
