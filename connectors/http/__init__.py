"""REST plumbing shared by the HTTP connectors: one client with auth, retries and a rate
budget; pagination, incremental windows and checkpoints."""

from connectors.http.checkpoint import Checkpoint, JsonFileCheckpoint, MemoryCheckpoint
from connectors.http.client import HttpClient, HttpSettings, RejectedError
from connectors.http.oauth2 import OAuth2ClientCredentials
from connectors.http.pagination import Page, cursor_pages, next_url_pages, offset_pages
from connectors.http.rate import RateBudget
from connectors.http.retry import RetryPolicy
from connectors.http.windows import TimeWindow, plan_window

__all__ = [
    "Checkpoint",
    "HttpClient",
    "HttpSettings",
    "JsonFileCheckpoint",
    "MemoryCheckpoint",
    "OAuth2ClientCredentials",
    "Page",
    "RateBudget",
    "RejectedError",
    "RetryPolicy",
    "TimeWindow",
    "cursor_pages",
    "next_url_pages",
    "offset_pages",
    "plan_window",
]
