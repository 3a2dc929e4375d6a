"""Unit tests of the Tryton connector (no server; the real one is in tests/e2e)."""
