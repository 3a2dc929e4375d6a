"""Settings of the Tryton connector (one block under ``systems:`` in crmsync.yaml)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from connectors.http import HttpSettings, RetryPolicy


class TrytonConfig(BaseModel):
    """How to reach one Tryton database over JSON-RPC and how to page through it.

    Credentials may also come from an Airflow Connection (``airflow_conn_id``: host →
    ``url``, login, password; ``database`` from the connection's extra).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(description="Server root, e.g. `https://erp.example.com` (no database).")
    database: str = Field(description="Database name: calls go to `<url>/<database>/rpc/`.")
    login: str = Field(description="User login.")
    password: SecretStr = Field(description="User password (give it as `${ENV_VAR}`).")
    company: str | int | None = Field(
        None,
        description="Company to work in, by id or party name; empty: the user's current one.",
    )
    language: str = Field("en", description="Language code sent at login.")
    page_size: int = Field(
        500, gt=0, le=10_000, description="Records read per call (and ids per window scan)."
    )
    lag_seconds: float = Field(
        5.0,
        ge=0,
        description="The window ends this many seconds before now, so a record written by a "
        "transaction that commits late is read by the next run instead of being skipped.",
    )
    golden_id_prefix: str = Field(
        "crmsync:",
        min_length=1,
        description="Prefix of the untyped party/product identifier holding the golden id.",
    )
    confirm_orders: bool = Field(
        False,
        description="Quote and confirm the sales crmsync creates from won deals (false: they "
        "stay draft for someone to check).",
    )
    push_cost_price: bool = Field(
        False,
        description="Write golden cost prices to product variants (an existing variant through "
        "Tryton's `product.modify_cost_price` wizard, which records a cost price revision; a "
        "new one on create). Off by default: Tryton values its stock at the cost price, so "
        "it is normally Tryton's to keep. Turn it on when another system is the costing "
        "master (another ERP, a costing tool) and survivorship makes it win `cost_price`. "
        "Only prices in the Tryton company's currency are sent; others are rejected.",
    )
    timeout_seconds: float = Field(60.0, gt=0, description="Timeout per HTTP call.")
    requests_per_second: float | None = Field(
        None, gt=0, description="Request-rate budget; empty: unlimited."
    )
    ca_bundle: str | None = Field(
        None, description="CA bundle for a private certificate authority (TLS stays verified)."
    )
    retry: RetryPolicy = Field(default_factory=RetryPolicy)

    def http_settings(self) -> HttpSettings:
        """Return the transport settings for :class:`~connectors.http.HttpClient`."""
        return HttpSettings(
            base_url=self.url.rstrip("/"),
            timeout_seconds=self.timeout_seconds,
            requests_per_second=self.requests_per_second,
            ca_bundle=self.ca_bundle,
            retry=self.retry,
        )
