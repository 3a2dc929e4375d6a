"""Start/seed scripts for the real peers the end-to-end tests sync against."""
