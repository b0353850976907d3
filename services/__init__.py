"""Likely's services: one package each, `python -m services.<name>` runs it."""
