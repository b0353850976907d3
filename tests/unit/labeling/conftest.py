from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def offline_labeler():
    """The process-wide offline labeler (model loaded once for the whole session)."""
    from shared.labeling import get_labeler

    return get_labeler(backend="offline")
