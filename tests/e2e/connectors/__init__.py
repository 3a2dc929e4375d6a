"""End-to-end tests of the connectors against the real peers."""
