"""The `likely` command-line client and the HTTP client it (and the demo, and the tests) use."""
