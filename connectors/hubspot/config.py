"""Settings of the HubSpot connector (one block under ``systems:`` in crmsync.yaml)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from connectors.http import HttpSettings, RetryPolicy


class HubSpotConfig(BaseModel):
    """How to reach one HubSpot account and how to pull from and push to it."""

    model_config = ConfigDict(extra="forbid")

    access_token: SecretStr = Field(
        description="Private app access token (`pat-...`); give it as `${ENV_VAR}`."
    )
    base_url: str = Field("https://api.hubapi.com", description="API root.")
    lag_seconds: float = Field(
        60.0,
        ge=0,
        description="Leave changes of the last N seconds to the next run (the search index "
        "trails writes by a few seconds).",
    )
    search_page_size: int = Field(200, ge=1, le=200, description="Results per search page.")
    search_cap: int = Field(
        10_000,
        ge=1,
        description="Results one search can page through; larger windows are split by time.",
    )
    list_page_size: int = Field(100, ge=1, le=100, description="Records per list page.")
    batch_size: int = Field(100, ge=1, le=100, description="Records per batch write.")
    line_item_properties: list[str] = Field(
        default_factory=lambda: [
            "hs_object_id",
            "hs_product_id",
            "hs_sku",
            "name",
            "quantity",
            "price",
            "hs_discount_percentage",
            "amount",
        ],
        description="Line item properties read with each deal.",
    )
    timeout_seconds: float = Field(30.0, gt=0, description="Per-call timeout.")
    requests_per_second: float | None = Field(
        4.0, gt=0, description="Request-rate budget (search allows 5 per second per account)."
    )
    ca_bundle: str | None = Field(None, description="CA bundle for a private CA.")
    retry: RetryPolicy = Field(default_factory=RetryPolicy)

    def http_settings(self) -> HttpSettings:
        """Return the transport settings."""
        return HttpSettings(
            base_url=self.base_url.rstrip("/"),
            timeout_seconds=self.timeout_seconds,
            requests_per_second=self.requests_per_second,
            ca_bundle=self.ca_bundle,
            retry=self.retry,
        )
