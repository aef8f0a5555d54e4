r"""Anderson extrapolation of a fixed-point iteration (Anderson 1965).

Block coordinate descent is a fixed-point map ``z <- T(z)``; near the solution it
behaves like a linear map, and a combination of the last ``K + 1`` iterates
cancels its slow modes (Bertrand & Massias, AISTATS 2021, as used in skglm).
With ``U`` the ``K`` successive differences of the stored iterates, the weights
``c`` minimise ``||U^T c||`` subject to ``sum(c) = 1``:

.. math:: c = \frac{(U U^T)^{-1} 1}{1^T (U U^T)^{-1} 1},
          \quad z_{acc} = \sum_k c_k z_{k+1}.

The caller accepts ``z_acc`` only if it lowers the objective, so convergence
guarantees of the plain iteration are kept.
"""

import numpy as np


class AndersonExtrapolator:
    """Store iterates; every ``K + 1`` of them propose an extrapolated point.

    Parameters
    ----------
    K : int
        Number of differences combined (skglm's default, 5).
    """

    def __init__(self, K=5):
        self.K = K
        self._last = []

    def reset(self):
        """Forget the stored iterates (after the iteration jumped elsewhere)."""
        self._last = []

    def push(self, z):
        """Store iterate ``z`` (real or complex array); return ``z_acc`` or None.

        A point is proposed once ``K + 1`` iterates are stored; the store is then
        emptied, so consecutive proposals use disjoint windows.
        """
        z = np.asarray(z)
        self._last.append(np.ascontiguousarray(z).ravel().copy())
        if len(self._last) < self.K + 1:
            return None
        iterates = np.stack(self._last)
        self._last = []
        flat = iterates.view(np.float64) if np.iscomplexobj(iterates) else iterates
        U = np.diff(flat, axis=0)
        try:
            c = np.linalg.solve(U @ U.T, np.ones(self.K))
        except np.linalg.LinAlgError:
            return None
        if not np.all(np.isfinite(c)) or c.sum() == 0:
            return None
        c /= c.sum()
        return (c @ iterates[1:]).reshape(z.shape)
