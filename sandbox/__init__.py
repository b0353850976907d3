"""Stand-ins for outside services that Likely talks to (tests, demo, benchmarks)."""
