"""Code shared by every Likely service: settings, contracts, topology, stores, labeling, model."""
