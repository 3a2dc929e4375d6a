"""Connectors: one module per system kind, the Connector protocol, shared SQL/HTTP plumbing."""
