"""Simulated BIDS datasets with a known source truth (demo, tests, benchmarks) and the sample head."""
