"""Benchmark harness (issue 5): see ``python -m benchmarks --help``."""
