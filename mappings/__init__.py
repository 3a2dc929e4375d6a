"""Canonical model, declarative YAML mappings of each system's shape, and the data dictionary."""
