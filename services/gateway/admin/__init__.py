"""The operators' API (`likely top`, dead letters): its routes, the dead letters' store and replay,
the broker's queue depths."""
