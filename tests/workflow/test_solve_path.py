"""The solve rule and the localisation benchmark run one path: the same outputs on one recording.

The rule path runs the rule scripts (scripts/dspm.py, solve.py, crop.py, sources_table.py) on files, with the
parameters the plan gives the rules; the benchmark path is
``tfmxne_simulation.localisation.run_configuration``, in memory.
"""
from __future__ import annotations

import dataclasses
import json
import runpy
from types import SimpleNamespace

import mne
import numpy as np
import pandas as pd
import pytest
from conftest import REPO, SAMPLE_DIR

from tfmxne_simulation import localisation as loc
from tfmxne_workflow.plan import auto
from tfmxne_workflow.plan.config import resolve
from tfmxne_workflow.plan.settings import Settings

pytestmark = pytest.mark.sample


@pytest.fixture(scope="module")
def recording(sample_head_cache):
    from tfmxne_workflow.headmodels.template import single_threaded_blas

    with single_threaded_blas():
        head = loc.sample_head(SAMPLE_DIR, sample_head_cache)
        return head, loc.simulate_recording(head, seed=3)


def _run_script(name, inputs, outputs, params, log):
    from snakemake.iocontainers import Namedlist

    runpy.run_path(str(REPO / "scripts" / f"{name}.py"), init_globals={"snakemake": SimpleNamespace(
        input=Namedlist(fromdict=inputs), output=Namedlist(fromdict=outputs),
        params=Namedlist(fromdict=params), log=[str(log)], threads=1)})


def _write_inputs(tmp_path, head, rec):
    """The recording's evoked, forward and covariance as files, and as read back from them."""
    files = {"evoked": str(tmp_path / "x_ave.fif"), "fwd": str(tmp_path / "x_fwd.fif"),
             "noise_cov": str(tmp_path / "x_cov.fif")}
    rec.evoked.save(files["evoked"], overwrite=True, verbose="error")
    mne.write_forward_solution(files["fwd"], head.forward, overwrite=True, verbose="error")
    rec.noise_cov.save(files["noise_cov"], overwrite=True, verbose="error")
    read = loc.Recording(rec.seed, mne.read_evokeds(files["evoked"], verbose="error")[0],
                         mne.read_cov(files["noise_cov"], verbose="error"), rec.truth)
    return files, read, dataclasses.replace(head, forward=mne.read_forward_solution(files["fwd"], verbose="error"))


def _rule_path(tmp_path, files, rec, config):
    """The dspm (when weighted), solve and crop rules' scripts, with the plan's parameters."""
    settings = Settings(resolve({**loc.NO_STUDY, **config})[0])
    view = settings.solve(auto.modality(auto.good_channel_types(rec.evoked.info)))
    solve_inputs = dict(files)
    if view["weights"]:
        dspm = {"lh": str(tmp_path / "x_dspm-lh.stc"), "rh": str(tmp_path / "x_dspm-rh.stc")}
        _run_script("dspm", files, dspm, {"dspm": settings.dspm()}, tmp_path / "dspm.log")
        solve_inputs["dspm"] = dspm["lh"]
    solved = {"lh": str(tmp_path / "x_tfmxne-lh.stc"), "rh": str(tmp_path / "x_tfmxne-rh.stc"),
              "signed_lh": str(tmp_path / "x_signed-lh.stc"), "signed_rh": str(tmp_path / "x_signed-rh.stc"),
              "residual": str(tmp_path / "x_res_ave.fif"), "convergence": str(tmp_path / "x.json"),
              "resamples": str(tmp_path / "x_resamples.npz")}
    _run_script("solve", solve_inputs, solved, {"solve": view}, tmp_path / "solve.log")
    cropped = {"lh": str(tmp_path / "c-lh.stc"), "rh": str(tmp_path / "c-rh.stc"),
               "evoked": str(tmp_path / "c_ave.fif"), "residual": str(tmp_path / "cr_ave.fif")}
    _run_script("crop", {**solved, "evoked": files["evoked"]}, cropped,
                {**settings["crop"]}, tmp_path / "crop.log")
    table = str(tmp_path / "x_sources.tsv")
    _run_script("sources_table", {"lh": cropped["lh"], "signed": solved["signed_lh"], "fwd": files["fwd"],
                                  "convergence": solved["convergence"], "resamples": solved["resamples"]},
                {"table": table},
                {"trial_type": "", "common_space": None, "spectra": settings.spectra(),
                 "merge": settings.merge()},
                tmp_path / "sources_table.log")
    return (mne.read_source_estimate(cropped["lh"]), json.loads(open(solved["convergence"]).read()),
            pd.read_csv(table, sep="\t", na_values="n/a"))


@pytest.mark.parametrize("config", [
    {},  # the defaults: on MEG+EEG data no dSPM weights, alpha: noise
    {"dspm": {"weights": True}, "tfmxne": {"alpha": 60.0}},
    {"stability": {"n_resamples": 4, "threshold": 0.5, "drop_unstable": True}},
], ids=["defaults", "dspm-weights", "stability"])
def test_rule_and_benchmark_give_the_same_estimate(recording, tmp_path, config):
    files, rec, head = _write_inputs(tmp_path, *recording)  # both paths read the same inputs
    stc_rule, record_rule, table_rule = _rule_path(tmp_path, files, rec, config)
    stc_bench, record_bench, _, table_bench = loc.run_configuration(rec, head, config)
    assert stc_rule.data.shape[0] > 0
    for hemi in range(2):
        np.testing.assert_array_equal(stc_rule.vertices[hemi], stc_bench.vertices[hemi])
    np.testing.assert_allclose(stc_rule.times, stc_bench.times, atol=1e-6)  # stc files: float32
    # the rule's files hold float32 (the estimate, and the dSPM weights it reads back): the
    # two estimates agree to that precision
    np.testing.assert_allclose(stc_rule.data, stc_bench.data, rtol=1e-6,
                               atol=1e-6 * np.abs(stc_bench.data).max())
    assert record_rule["alpha"] == pytest.approx(record_bench["alpha"], rel=1e-6)
    for key in ("weights", "params", "solve_window", "n_active", "converged", "weights_note"):
        assert record_rule[key] == json.loads(json.dumps(record_bench[key])), key
    assert record_rule["weights"] is ("dspm" in config)
    # the sources table, frequencies and extents included
    assert list(table_rule["vertex"]) == list(table_bench["vertex"])
    assert list(table_rule["vertices"].astype(str)) == list(table_bench["vertices"].astype(str))
    assert list(table_rule["oscillatory"]) == list(table_bench["oscillatory"])
    np.testing.assert_allclose(table_rule[["peak_frequency_hz", "tf_fmin_hz", "tf_fmax_hz", "tf_tmin_s", "tf_tmax_s"]],
                               table_bench[["peak_frequency_hz", "tf_fmin_hz", "tf_fmax_hz", "tf_tmin_s", "tf_tmax_s"]],
                               rtol=1e-4, atol=1e-6)
    stable = ["stability", "position_ci_mm", "peak_time_ci_low_s", "amplitude_ci_high_nAm"]
    np.testing.assert_allclose(table_rule[stable], table_bench[stable], rtol=1e-4)
    assert table_rule["stability"].notna().all()  # on by default
