"""The workflow's library: everything the Snakemake rules run that is not the solver.

- :mod:`.plan`: what the workflow decides while Snakemake parses it (settings with every
  ``auto`` decided, the study, the paths, the code each rule runs, the checks of the
  input before any job); ``workflow/rules/common.smk`` is its bridge.
- :mod:`.stages`: one module per workflow stage, called by the thin rule scripts
  (``scripts/``); they take and return MNE objects and paths, no Snakemake inside.
- :mod:`.headmodels`: the fsaverage5 template head (``forward.source: template``).
- :mod:`.dataset` (BIDS enumeration), :mod:`.mbp` (mne-bids-pipeline's derivatives),
  :mod:`.errors` (bad input), :mod:`.atomic` (writes that never leave a half-written
  file), :mod:`.logs`.

The solver itself is the separate package :mod:`tfmxne`; the demo's and the benchmarks'
simulated data are made by :mod:`tfmxne_simulation`.
"""
