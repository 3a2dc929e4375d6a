"""Benchmarks of crmsync (run with ``make bench``); not timed tests."""
