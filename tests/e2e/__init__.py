"""End-to-end tests against real peers (Tryton, BottleCRM); run with CRMSYNC_E2E=1."""
