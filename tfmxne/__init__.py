"""tfmxne: sparse time-frequency M/EEG inverse solutions (TF-MxNE).

Our own implementation of the Time-Frequency Mixed-Norm Estimate (Gramfort et al.,
NeuroImage 70, 2013) with multi-scale dictionaries (Bekhti et al., PRNI 2016).

- :func:`tf_mixed_norm`: drop-in for ``mne.inverse_sparse.tf_mixed_norm``
  (``return_info=True`` adds the convergence record).
- :func:`solve`: the solver on arrays, returning a :class:`SolverResult`.
- :mod:`tfmxne.stft`: the STFT frames (``stft``/``istft`` as in MNE, ``TFDictionary``).
"""
from importlib import import_module

__version__ = "0.1.0"

#: Public name -> submodule. Imported on first use, so that ``tfmxne_workflow``
#: (imported by every Snakemake start) does not pay for MNE's inverse modules.
_EXPORTS = {
    "tf_mixed_norm": "inverse", "solve": "solver", "SolverResult": "solver",
    "alpha_max": "norms", "epsilon_norm": "norms", "TFDictionary": "stft",
}
__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
