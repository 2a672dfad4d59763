"""Benchmarks (`make bench`): each generates its own data and measures against a baseline
taken in the same run; results go to `.bench/results.json`."""
