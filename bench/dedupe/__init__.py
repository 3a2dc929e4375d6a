"""Matching benchmark: crmsync's matcher beside Splink on generated customer records.

Run ``python -m bench.dedupe --records 100000`` (see ``bench/dedupe/README.md``).
"""
