"""Benchmark scripts (see bench/README.md); a package so bench/run.py can import each part."""
