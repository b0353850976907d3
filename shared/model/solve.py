"""The linear algebra of the default model: weighted medians and the weighted ridge solve."""
from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import LinearOperator, cg

DIRECT_MAX = 400  # columns up to which the normal equations are solved directly
DENSE_MAX = 2_000_000  # cells up to which the design matrix is kept dense (and solved directly)


def _weighted_median(v: np.ndarray, w: np.ndarray) -> float:
    o = np.argsort(v, kind="mergesort")
    cw = np.cumsum(w[o])
    return float(v[o][min(int(np.searchsorted(cw, 0.5 * cw[-1])), v.size - 1)])


def _weighted_medians(v: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """`_weighted_median(v, w)` for each row w of `weights`, sorting v once."""
    o = np.argsort(v, kind="mergesort")
    cw = np.cumsum(weights[:, o], axis=1)
    return v[o][np.minimum((cw < 0.5 * cw[:, -1:]).sum(axis=1), v.size - 1)]


def _solve(X, w, sw, xm, penalty, rhs) -> np.ndarray:
    """β of the centred, weighted ridge: (Xᵀ W X − sw·x̄x̄ᵀ + diag(penalty)) β = rhs.

    Few columns: a dense solve. Many (a vocabulary of thousands of labels): conjugate
    gradients on the sparse operator, never forming the p×p matrix (the system is positive
    definite: every penalty is > 0)."""
    p = rhs.size
    if p == 0:
        return np.zeros(0)
    if p <= DIRECT_MAX:
        xtwx = (X.T @ X.multiply(w[:, None])).toarray() if sparse.issparse(X) else X.T @ (X * w[:, None])
        gram = xtwx - sw * np.outer(xm, xm)
        gram[np.diag_indices_from(gram)] += penalty
        return np.linalg.solve(gram, rhs)
    Xt = X.T.tocsr() if sparse.issparse(X) else X.T

    def matvec(v):
        v = np.ravel(v)
        return Xt @ (w * (X @ v)) - sw * xm * float(xm @ v) + penalty * v

    # Jacobi preconditioner: the diagonal of the system (label counts vary by orders of magnitude)
    sq = X.multiply(X) if sparse.issparse(X) else X * X
    diag = np.ravel(sq.T @ w) - sw * xm * xm + penalty
    inv = 1.0 / np.maximum(diag, 1e-12)
    op = LinearOperator((p, p), matvec=matvec, dtype=np.float64)
    pre = LinearOperator((p, p), matvec=lambda v: inv * np.ravel(v), dtype=np.float64)
    beta, _ = cg(op, rhs, rtol=1e-9, atol=0.0, maxiter=2000, M=pre)
    return beta
