"""The workflow's library: everything the Snakemake rules run that is not the solver.

- :mod:`.stages`: one module per workflow stage, called by the thin rule scripts
  (``scripts/``); they take and return MNE objects and paths, no Snakemake inside.
- :mod:`.headmodels`: the fsaverage5 template head (``forward.source: template``).
- :mod:`.dataset` (BIDS enumeration), :mod:`.validate` (bad-input checks before any job),
  :mod:`.atomic` (writes that never leave a half-written file), :mod:`.logs`,
  :mod:`.code_inputs` (the modules each rule script runs).

The solver itself is the separate package :mod:`tfmxne`; the simulated BIDS datasets with a
known truth (``make demo``, tests, benchmarks) are made by :mod:`tfmxne_simulation`.
"""
