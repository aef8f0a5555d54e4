"""The resolved configuration, read-only, and the narrowed view each stage is given.

A rule passes exactly the values its stage uses (``params:``), so that changing one key
reruns exactly what depends on it; the views here are those values, with every ``auto``
already decided (:mod:`.auto`).
"""
from __future__ import annotations

import copy

from ..stages.solve import SOLVER_PARAMS
from . import auto


class Settings:
    """The configuration after :func:`tfmxne_workflow.plan.config.resolve`.

    ``settings["tfmxne"]`` is a fresh copy of a section, so no caller changes the plan.
    """

    def __init__(self, config: dict):
        self._config = copy.deepcopy(config)

    def __getitem__(self, key):
        """A copy of the section (or top-level value) ``key``."""
        return copy.deepcopy(self._config[key])

    def as_dict(self) -> dict:
        """The whole configuration (a copy)."""
        return copy.deepcopy(self._config)

    def solve(self, modality: str) -> dict:
        """What the solve stage uses for a recording of ``modality`` (``'meg'``/``'eeg'``).

        ``window`` (the solve window, s), ``solver`` (the :func:`tfmxne.tf_mixed_norm`
        parameters of ``tfmxne``, ``alpha`` decided), ``weights`` (bool; with weights also
        ``weights_min`` and ``weights_min_fallback``), ``stability`` (the section, radius in
        mm), ``note`` (what ``auto`` chose, or None) and ``modality``.
        """
        tf, dspm = self._config["tfmxne"], self._config["dspm"]
        weights, alpha, note = auto.resolve(dspm["weights"], tf["alpha"], modality)
        view = {"window": [tf["tmin"], tf["tmax"]], "modality": modality,
                "solver": {**{k: tf[k] for k in SOLVER_PARAMS}, "alpha": alpha},
                "weights": weights, "stability": self["stability"], "note": note}
        if weights:
            view.update(weights_min=dspm["weights_min"], weights_min_fallback=dspm["weights_min_fallback"])
        return view

    def dspm(self) -> dict:
        """What the dSPM stage uses: the solve window, ``snr``, ``loose`` and ``depth``.

        ``loose``/``depth`` null in the configuration take the solver's (``tfmxne``).
        """
        tf, dspm = self._config["tfmxne"], self._config["dspm"]
        return {"window": [tf["tmin"], tf["tmax"]], "snr": dspm["snr"],
                "loose": tf["loose"] if dspm["loose"] is None else dspm["loose"],
                "depth": tf["depth"] if dspm["depth"] is None else dspm["depth"]}

    def dense(self) -> dict:
        """What the dense stage uses: the crop window, ``method`` and ``snr``, the solver's ``loose`` and ``depth``."""
        tf, dense, crop = self._config["tfmxne"], self._config["dense"], self._config["crop"]
        return {"window": [crop["tmin"], crop["tmax"]], "method": dense["method"], "snr": dense["snr"],
                "loose": tf["loose"], "depth": tf["depth"]}

    def spectra(self) -> dict:
        """What a time-frequency analysis of the sources uses: ``fmin`` and ``fmax`` (Hz) of ``sources_table``."""
        table = self._config["sources_table"]
        return {"fmin": table["fmin"], "fmax": table["fmax"]}

    def merge(self) -> dict:
        """What the sources table merges vertices by: ``merge_mm`` and ``min_correlation`` of ``sources_table``."""
        table = self._config["sources_table"]
        return {"merge_mm": table["merge_mm"], "min_correlation": table["min_correlation"]}
