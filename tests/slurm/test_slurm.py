"""The demo study through a real SLURM cluster equals a local run (`make test-slurm`).

`make test-slurm` starts a one-node cluster (tests/slurm/cluster.sh) and sets SLURM_CONF;
without it these tests are skipped.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO, run_snakemake, write_demo_config

pytestmark = pytest.mark.skipif(
    not os.environ.get("SLURM_CONF"),
    reason="needs a running SLURM cluster: run `make test-slurm` (it starts one on 127.0.0.1)",
)
PROFILE = REPO / "workflow" / "profiles" / "slurm"
LOCAL_RULES = {"all", "study_summary", "dataset_description"}


def _groups():
    entries = yaml.safe_load((PROFILE / "config.yaml").read_text()).get("groups", [])
    return dict(entry.split("=") for entry in entries)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One local and one SLURM run of the demo study on the same BIDS dataset."""
    from tfmxne_simulation.demo import make_demo_dataset

    base = tmp_path_factory.mktemp("slurm")
    bids_root = make_demo_dataset(base / "bids", n_subjects=2, seed=0)
    result = {}
    for mode in ("local", "slurm"):
        workdir = base / mode
        workdir.mkdir()
        configfile = write_demo_config(workdir / "config.yaml", bids_root, deriv_root=str(workdir / "deriv"))
        args = ["--configfile", str(configfile)]
        if mode == "slurm":
            args += ["--profile", str(PROFILE), "--slurm-init-seconds-before-status-checks", "5",
                     "--slurm-no-account", "--slurm-keep-successful-logs", "--jobs", "8",
                     # the CI node has 2 CPUs: a group job must not ask for more
                     "--cores", "2"]
        else:
            args += ["--cores", "2"]
        proc = run_snakemake(*args, workdir=workdir, timeout=2400, slurm=mode == "slurm")
        result[mode] = {"workdir": workdir, "deriv": workdir / "deriv", "stderr": proc.stderr}
    return result


def test_every_job_went_through_sbatch(runs):
    log = runs["slurm"]["stderr"]
    finished = set(re.findall(r"Finished jobid: \S+ \(Rule: (\w+)\)", log))
    submitted = re.findall(r"submitted with SLURM jobid (\d+)", log)
    assert submitted, "no job was submitted to SLURM"
    remote = finished - LOCAL_RULES
    assert remote, f"no rule ran remotely; finished rules: {finished}"
    slurm_logs = runs["slurm"]["workdir"] / ".snakemake" / "slurm_logs"
    groups = _groups()
    folders = [p.name for p in slurm_logs.iterdir() if any(p.rglob("*.log"))]
    for rule in sorted(remote):
        # group jobs log to group_<group>_<rule>_<rule>..., the others to rule_<rule>
        if rule in groups:
            found = [f for f in folders if f.startswith(f"group_{groups[rule]}_") and rule in f]
        else:
            found = [f for f in folders if f == f"rule_{rule}"]
        assert found, f"rule {rule} has no SLURM job log in {slurm_logs} (folders: {folders})"
    for rule in sorted(remote):
        assert f"localrule {rule}:" not in log, f"rule {rule} ran locally, not through sbatch"


def _relative_files(deriv: Path, pattern: str):
    return sorted(p.relative_to(deriv) for p in deriv.rglob(pattern))


def test_slurm_outputs_equal_local_outputs(runs):
    import mne

    local, slurm = runs["local"]["deriv"], runs["slurm"]["deriv"]
    tables = _relative_files(local, "*_sources.tsv")
    assert tables, "the local run wrote no *_sources.tsv"
    assert tables == _relative_files(slurm, "*_sources.tsv")
    for rel in tables:
        a, b = pd.read_csv(local / rel, sep="\t"), pd.read_csv(slurm / rel, sep="\t")
        assert list(a.columns) == list(b.columns)
        assert len(a) == len(b), f"{rel}: {len(a)} sources locally, {len(b)} through SLURM"
        numeric = a.select_dtypes("number").columns
        np.testing.assert_allclose(a[numeric].to_numpy(float), b[numeric].to_numpy(float),
                                   rtol=1e-6, atol=1e-9, err_msg=str(rel))
    stcs = _relative_files(local, "*-lh.stc")
    assert stcs == _relative_files(slurm, "*-lh.stc")
    for rel in stcs:
        a = mne.read_source_estimate(local / rel)
        b = mne.read_source_estimate(slurm / rel)
        assert [list(v) for v in a.vertices] == [list(v) for v in b.vertices], str(rel)
        np.testing.assert_allclose(a.data, b.data, rtol=1e-6, atol=1e-6 * np.abs(a.data).max(),
                                   err_msg=str(rel))
