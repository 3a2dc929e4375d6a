"""REST plumbing shared by the HTTP connectors: one client with auth, retries and a rate budget."""

from connectors.http.client import HttpClient, HttpSettings
from connectors.http.rate import RateBudget
from connectors.http.retry import RetryPolicy

__all__ = ["HttpClient", "HttpSettings", "RateBudget", "RetryPolicy"]
