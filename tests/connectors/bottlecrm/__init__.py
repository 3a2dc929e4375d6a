"""Unit tests of the BottleCRM connector (recorded-style HTTP through httpx.MockTransport)."""
