"""One BLAS thread for the model's linear algebra."""
from __future__ import annotations

import functools

from threadpoolctl import threadpool_limits


def single_threaded(fn):
    """Run fn with one BLAS thread: the model's solves are small, and BLAS threads spinning
    beside them cost five times the CPU for nothing (measured on the real sets)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with threadpool_limits(limits=1, user_api="blas"):
            return fn(*args, **kwargs)
    return wrapper
