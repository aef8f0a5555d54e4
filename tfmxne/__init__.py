"""tfmxne: sparse time-frequency M/EEG inverse solutions (TF-MxNE).

Our own implementation of the Time-Frequency Mixed-Norm Estimate (Gramfort et al.,
NeuroImage 70, 2013) with multi-scale dictionaries (Bekhti et al., PRNI 2016).

- :func:`tf_mixed_norm`: drop-in for ``mne.inverse_sparse.tf_mixed_norm``
  (``return_info=True`` adds the convergence record).
- :func:`solve`: the solver on arrays, returning a :class:`SolverResult`.
"""
from .inverse import tf_mixed_norm
from .norms import alpha_max, epsilon_norm
from .solver import SolverResult, solve
from .stft import TFDictionary, istft, stft

__version__ = "0.1.0"
__all__ = ["tf_mixed_norm", "solve", "SolverResult", "alpha_max", "epsilon_norm",
           "TFDictionary", "stft", "istft", "__version__"]
