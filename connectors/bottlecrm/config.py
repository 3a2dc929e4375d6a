"""Settings of a BottleCRM connector: where the server is and the token to reach it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from connectors.http import HttpSettings, RetryPolicy


class BottleCrmConfig(BaseModel):
    """One BottleCRM system (the ``systems.<name>`` block with ``connector: bottlecrm``).

    The token is an org user's personal access token (``bcrm_pat_...``); give it as a
    ``${ENV_VAR}`` reference or through ``airflow_conn_id`` (the Connection's password),
    never inline. Pushing products and creating the golden-id custom fields needs an org
    ADMIN's token.
    """

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field(description="Server root, e.g. `https://crm.example.com` (no `/api`).")
    token: SecretStr = Field(description="Personal access token `bcrm_pat_...` (secret).")
    page_size: int = Field(500, ge=1, le=1000, description="Records per list request.")
    timeout_seconds: float = Field(30.0, gt=0, description="Connect/read/write timeout per call.")
    requests_per_second: float | None = Field(
        None, gt=0, description="Request-rate budget; empty: unlimited."
    )
    ca_bundle: str | None = Field(
        None, description="CA bundle for a private certificate authority (TLS stays verified)."
    )
    lag_seconds: float = Field(
        0.0,
        ge=0,
        description="Incremental windows end this many seconds before now (records changed "
        "later are left to the next run).",
    )
    create_custom_fields: bool = Field(
        True,
        description="Create the text custom field that holds the golden id (the mapping's "
        "`custom_fields.<key>` golden-id column) when the org does not have it yet.",
    )
    deal_pipeline: str | None = Field(
        None,
        description="Deal pipeline (id or name) new deals are created in; empty: the org's "
        "default pipeline.",
    )
    retry: RetryPolicy = Field(default_factory=RetryPolicy)

    def http_settings(self) -> HttpSettings:
        """Return the transport settings for the API root ``<base_url>/api/``."""
        return HttpSettings(
            base_url=f"{self.base_url.rstrip('/')}/api/",
            timeout_seconds=self.timeout_seconds,
            requests_per_second=self.requests_per_second,
            ca_bundle=self.ca_bundle,
            retry=self.retry,
        )
