"""Faults: killed jobs, concurrent runs, a solver that does not converge, an empty estimate.

Everything runs on a 1-subject, 1-run copy of the tiny dataset (19 EEG channels, EEG
only, oct4 sources, ico2 BEM): a full workflow run takes ~35 s here. One uninterrupted
reference run (module fixture) is compared with a run that is SIGKILLed in the middle of
several stages and resumed; the non-convergence and empty-estimate cases rerun only
solve and what follows, in copies of the reference (~3 min for the module).

Limit: Snakemake's lock lives in ``<working directory>/.snakemake``. Two runs writing the
same ``deriv_root`` from *different* working directories do not see each other's lock;
the atomic writes keep every file whole, but the runs duplicate work and each one's
bookkeeping (parameters, incomplete markers) describes only its own jobs. Always run a
study from one working directory.
"""
from __future__ import annotations

import ast
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import mne
import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO, SNAKEMAKE, snakemake_env, write_tiny_bids

from tfmxne_workflow import atomic
from tfmxne_workflow.stages import common_space
from tfmxne_workflow.stages.sources import COLUMNS

pytestmark = pytest.mark.slow

#: Relative paths only, so that a copy of a finished working directory is up to date.
TINY_CONFIG = {
    "bids_root": "bids", "task": "tiny",
    "preprocessing": {"ch_types": ["eeg"]},
    "forward": {"bem_ico": 2, "spacing": "oct4"},
}
DERIV = Path("bids/derivatives/tfmxne")
PREFIX = DERIV / "sub-01/meg/sub-01_task-tiny"
CONDITIONS = {"auditoryLeft": "auditory/left", "LeftVisual": "Left visual"}


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def snakemake_cmd(workdir, *args, configfile="config.yaml"):
    return [SNAKEMAKE, "-s", str(REPO / "Snakefile"), "--directory", str(workdir),
            "--configfile", str(Path(workdir) / configfile), *args]


def run(workdir, *args, env, configfile="config.yaml", check=True, timeout=600):
    proc = subprocess.run(snakemake_cmd(workdir, *args, configfile=configfile), capture_output=True,
                          text=True, env=env, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed ({proc.returncode}):\n"
                             f"{proc.stdout[-5000:]}\n{proc.stderr[-5000:]}")
    return proc


def start(workdir, *args, env, configfile="config.yaml"):
    """Start the workflow in its own process group (so that a kill reaches every job)."""
    log = open(Path(workdir) / f"snakemake-{time.time_ns()}.out", "w")
    return subprocess.Popen(snakemake_cmd(workdir, *args, configfile=configfile), stdout=log,
                            stderr=subprocess.STDOUT, env=env, start_new_session=True)


def write_config(workdir, **changes):
    config = json.loads(json.dumps(TINY_CONFIG))
    for section, values in changes.items():
        config.setdefault(section, {}).update(values)
    (Path(workdir) / "config.yaml").write_text(yaml.safe_dump(config))


def visible_text(html_file) -> str:
    """The text a browser shows (tags stripped, entities decoded, blanks collapsed)."""
    text = re.sub(r"<script.*?</script>|<style.*?</style>", " ", Path(html_file).read_text(), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text)))


#: Readers of the FIF derivatives, by file-name ending.
FIF_READERS = {
    "_ave.fif": mne.read_evokeds, "_epo.fif": mne.read_epochs, "_cov.fif": mne.read_cov,
    "_fwd.fif": mne.read_forward_solution, "_src.fif": mne.read_source_spaces,
    "_bem-sol.fif": mne.read_bem_solution, "_info.fif": mne.io.read_info, "trans.fif": mne.read_trans,
}


def check_complete(path: Path) -> None:
    """Read a derivative back with the reader of its type: it must be whole."""
    name = path.name
    if name.endswith(".json"):
        json.loads(path.read_text())
    elif name.endswith(".tsv"):
        pd.read_csv(path, sep="\t")
    elif name.endswith(".html"):
        assert path.read_text().rstrip().endswith("</html>"), path
    elif name.endswith(".png"):
        assert path.read_bytes()[-8:-4] == b"IEND", path
    elif name.endswith(".stc"):
        mne.read_source_estimate(path)
    elif name.endswith(".npz"):
        with np.load(path) as arrays:
            [arrays[key] for key in arrays.files]  # every array decompresses
    else:
        readers = [read for ending, read in FIF_READERS.items() if name.endswith(ending)]
        assert readers, f"no reader for {name}: add one to FIF_READERS"
        readers[0](path, verbose="error")


def derivatives(workdir) -> list[Path]:
    """Every derivative file (not logs, benchmarks, the template head or hidden temporaries)."""
    root = Path(workdir) / DERIV
    skip = ("logs", "benchmarks", "headmodels/subjects")
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")
                  and not any(p.relative_to(root).as_posix().startswith(s) for s in skip))


# ---------------------------------------------------------------------------
# the reference run, and a second workflow refused meanwhile
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shim(tmp_path_factory):
    return snakemake_env()


@pytest.fixture(scope="module")
def reference(tmp_path_factory, shim):
    """An uninterrupted run; while it holds its lock a second one is started in the same place."""
    workdir = tmp_path_factory.mktemp("faults_reference")
    write_tiny_bids(workdir / "bids", runs=("01",))
    write_config(workdir)
    t0 = time.perf_counter()
    first = start(workdir, "--cores", "2", env=shim)
    locks = workdir / ".snakemake" / "locks"
    while not any(locks.glob("*.lock")):
        assert first.poll() is None, "the reference run ended before it locked its directory"
        assert time.perf_counter() - t0 < 120, "the reference run never locked its directory"
        time.sleep(0.05)
    # as the workflow profile runs it, and plain
    second = {flag: run(workdir, "--cores", "1", *flag.split(), env=shim, check=False)
              for flag in ("--rerun-incomplete", "")}
    second_finished_while_first_ran = first.poll() is None
    rc = first.wait(timeout=600)
    out = sorted(workdir.glob("snakemake-*.out"))[-1].read_text()
    assert rc == 0, out[-5000:]
    return {"workdir": workdir, "second": second, "wall_s": time.perf_counter() - t0,
            "overlap": second_finished_while_first_ran}


def test_second_workflow_in_the_same_directory_is_refused(reference):
    assert reference["overlap"], "the second run must be tried while the first one runs"
    second = reference["second"]["--rerun-incomplete"]
    assert second.returncode == 1
    assert "Directory cannot be locked" in second.stdout + second.stderr
    # Without --rerun-incomplete Snakemake stops even earlier: the running jobs' outputs
    # are marked incomplete.
    plain = reference["second"][""]
    assert plain.returncode == 1
    assert re.search(r"Directory cannot be locked|Incomplete files", plain.stdout + plain.stderr)
    # ... and it did not disturb the first one, whose outputs are all there and whole
    for path in derivatives(reference["workdir"]):
        check_complete(path)


# ---------------------------------------------------------------------------
# SIGKILL in the middle of stages, resume with --rerun-incomplete
# ---------------------------------------------------------------------------
#: Stage -> (log file, relative to DERIV/logs; output that the killed job had not written).
KILL_AT = {
    "noise_cov": ("noise_cov/sub-01.log", f"{PREFIX}_cov.fif"),
    "bem_solution": ("bem_solution/fsaverage5.log", f"{DERIV}/headmodels/fsaverage5/fsaverage5_bem-sol.fif"),
    "solve": ("solve/sub-01_desc-{cond}.log", f"{PREFIX}_desc-{{cond}}_convergence.json"),
    "report": ("report/sub-01.log", f"{PREFIX}_report.html"),
}


def _new_logs(workdir, since_ns):
    """Stages (and their condition) whose job log appeared after ``since_ns``."""
    found = {}
    for stage, (pattern, _) in KILL_AT.items():
        for cond in CONDITIONS if "{cond}" in pattern else [None]:
            log = Path(workdir) / DERIV / "logs" / pattern.format(cond=cond)
            if log.exists() and log.stat().st_mtime_ns >= since_ns:
                found.setdefault(stage, cond)
    return found


def _kill_when_a_stage_starts(workdir, env, remaining):
    """Run until the log of a stage in ``remaining`` appears, then SIGKILL the process group.

    Returns the stages that were running (log new, output not written) when killed.
    """
    since = time.time_ns() - 1_000_000
    proc = start(workdir, "--cores", "2", "--rerun-incomplete", env=env)
    deadline = time.perf_counter() + 300
    while proc.poll() is None:
        hit = {s: c for s, c in _new_logs(workdir, since).items() if s in remaining}
        if hit:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return {s: c for s, c in _new_logs(workdir, since).items()
                    if not (Path(workdir) / KILL_AT[s][1].format(cond=c)).exists()}
        assert time.perf_counter() < deadline, "no stage to kill started in 300 s"
        time.sleep(0.02)
    out = sorted(Path(workdir).glob("snakemake-*.out"))[-1].read_text()
    raise AssertionError(f"the run ended (rc {proc.returncode}) before any of {sorted(remaining)} "
                         f"started:\n{out[-3000:]}")


def test_killed_run_resumes_to_the_same_result(reference, tmp_path, shim):
    workdir = tmp_path
    shutil.copytree(reference["workdir"] / "bids", workdir / "bids", ignore=shutil.ignore_patterns("derivatives"))
    write_config(workdir)
    remaining, killed = set(KILL_AT), []
    while remaining:
        t0 = time.perf_counter()
        stopped = _kill_when_a_stage_starts(workdir, shim, remaining)
        print(f"killed {sorted(stopped)} after {time.perf_counter() - t0:.1f} s")
        assert stopped, "the stage finished before the kill reached it"
        killed.append(sorted(stopped))
        remaining -= set(stopped)
        # a killed job never leaves a file that looks complete: whatever is there reads back
        for path in derivatives(workdir):
            check_complete(path)
        if len(killed) == 1:  # SIGKILL leaves Snakemake's lock behind: a plain rerun is refused
            refused = run(workdir, "--cores", "2", "--rerun-incomplete", env=shim, check=False)
            assert refused.returncode != 0 and "Directory cannot be locked" in refused.stdout + refused.stderr
        run(workdir, "--unlock", env=shim)
    assert {s for k in killed for s in k} == set(KILL_AT)
    run(workdir, "--cores", "2", "--rerun-incomplete", env=shim)

    ref = reference["workdir"]
    assert [p.relative_to(workdir) for p in derivatives(workdir)] == \
        [p.relative_to(ref) for p in derivatives(ref)]
    assert not [p for p in (workdir / DERIV).rglob(".tmp-*")], "stale temporaries left behind"
    for cond in CONDITIONS:
        for kind in ("tfmxne", "dspm"):
            a = mne.read_source_estimate(workdir / f"{PREFIX}_desc-{cond}_{kind}-lh.stc")
            b = mne.read_source_estimate(ref / f"{PREFIX}_desc-{cond}_{kind}-lh.stc")
            for va, vb in zip(a.vertices, b.vertices):
                np.testing.assert_array_equal(va, vb)
            np.testing.assert_allclose(a.data, b.data, rtol=1e-5, atol=1e-6 * np.abs(b.data).max(initial=0))
        pd.testing.assert_frame_equal(
            pd.read_csv(workdir / f"{PREFIX}_desc-{cond}_sources.tsv", sep="\t"),
            pd.read_csv(ref / f"{PREFIX}_desc-{cond}_sources.tsv", sep="\t"), rtol=1e-5)
        ja, jb = (json.loads((w / f"{PREFIX}_desc-{cond}_convergence.json").read_text()) for w in (workdir, ref))
        assert (ja["converged"], ja["n_iter"], ja["n_active"]) == (jb["converged"], jb["n_iter"], jb["n_active"])
    pd.testing.assert_frame_equal(pd.read_csv(workdir / DERIV / "study_summary.tsv", sep="\t"),
                                  pd.read_csv(ref / DERIV / "study_summary.tsv", sep="\t"), rtol=1e-5)
    assert "Nothing to be done" in run(workdir, "-n", env=shim).stdout


# ---------------------------------------------------------------------------
# atomic writes
# ---------------------------------------------------------------------------
def test_a_write_killed_midway_leaves_no_file_and_its_temporary_is_removed_later(tmp_path):
    target = tmp_path / "sub-01_desc-x_ave.fif"
    code = ("import sys, time\nfrom tfmxne_workflow import atomic\n"
            f"with atomic.atomic_path({str(target)!r}) as tmp:\n"
            "    f = open(tmp, 'wb'); f.write(b'x' * 100000); f.flush()\n"
            "    print('writing', flush=True); time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    proc.kill()
    proc.wait()
    assert not target.exists()
    (stale,) = tmp_path.glob(".tmp-*")
    live = tmp_path / f".tmp-0123abcd-{os.getpid()}-{atomic._host()}-{target.name}"  # a running writer
    other_host = tmp_path / f".tmp-0123abcd-{proc.pid}-otherhost-{target.name}"  # NFS, another node
    live.write_text("")
    other_host.write_text("")
    atomic.write_text(target, "done")
    assert target.read_text() == "done"
    assert not stale.exists() and live.exists() and other_host.exists()


def test_failed_writer_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="Nothing was written"):
        with atomic.atomic_path(tmp_path / "x.json"):
            pass
    assert list(tmp_path.iterdir()) == []


#: Calls that write a file; in a rule script they must go through tfmxne_workflow.atomic.
_WRITERS = re.compile(r"^(save|savefig|to_csv|to_html|write_\w+|dump|write_text|write_bytes|copy\w*|move)$")
#: Writers outside tfmxne_workflow.atomic that are atomic themselves.
_ATOMIC_ELSEWHERE = {
    "forward.write_template",  # template.write_template_subject: temporary folder renamed; io for the trans
}


def test_rule_scripts_write_only_through_the_atomic_helpers():
    """Every write in scripts/*.py is an ``atomic.*`` call or inside ``with atomic.atomic_path(...)``."""
    offenders = []

    def visit(node, inside_atomic, fname):
        if isinstance(node, ast.With):
            atomic = any(isinstance(i.context_expr, ast.Call) and ast.unparse(i.context_expr.func) == "atomic.atomic_path"
                         for i in node.items)
            for child in node.body:
                visit(child, inside_atomic or atomic, fname)
            return
        if isinstance(node, ast.Call):
            func = ast.unparse(node.func)
            name = func.rsplit(".", 1)[-1]
            via_io = func.startswith("atomic.") or func in _ATOMIC_ELSEWHERE
            opens_for_writing = func == "open" and any(
                isinstance(a, ast.Constant) and isinstance(a.value, str) and set(a.value) & set("wax")
                for a in [*node.args[1:], *(k.value for k in node.keywords if k.arg == "mode")])
            if (_WRITERS.match(name) or opens_for_writing) and not (via_io or inside_atomic):
                offenders.append(f"{fname}:{node.lineno}: {ast.unparse(node)[:80]}")
        for child in ast.iter_child_nodes(node):
            visit(child, inside_atomic, fname)

    scripts = sorted((REPO / "scripts").glob("*.py"))
    assert scripts
    for script in scripts:
        visit(ast.parse(script.read_text()), False, script.name)
    assert not offenders, "non-atomic writes:\n" + "\n".join(offenders)


# ---------------------------------------------------------------------------
# a solver that stops at maxit, an estimate without any source
# ---------------------------------------------------------------------------
def _rerun_with(reference, tmp_path, shim, **changes):
    """Copy the finished reference, change the configuration, run; returns the workdir."""
    workdir = tmp_path / "w"
    shutil.copytree(reference["workdir"], workdir, symlinks=True,
                    ignore=shutil.ignore_patterns("snakemake-*.out"))
    write_config(workdir, **changes)
    proc = run(workdir, "--cores", "2", env=shim)
    jobs = set(re.findall(r"^\s*(?:local)?rule (\w+):", proc.stdout + proc.stderr, re.M))
    assert jobs <= {"solve", "crop", "sources_table", "report", "study_summary", "all"}, jobs
    return workdir


def test_solver_stopped_at_its_cap_is_written_and_marked_not_converged(reference, tmp_path, shim):
    workdir = _rerun_with(reference, tmp_path, shim, tfmxne={"maxit": 1, "tol": 1e-12, "alpha": 40.0})
    for cond, trial_type in CONDITIONS.items():
        record = json.loads((workdir / f"{PREFIX}_desc-{cond}_convergence.json").read_text())
        assert record["converged"] is False
        assert record["final_gap"] is not None and record["final_gap"] >= record["tol"]
        table = pd.read_csv(workdir / f"{PREFIX}_desc-{cond}_sources.tsv", sep="\t")
        assert len(table) > 0 and not table["converged"].any()
        np.testing.assert_allclose(table["final_gap"], record["final_gap"], rtol=1e-5)
        assert mne.read_source_estimate(workdir / f"{PREFIX}_desc-{cond}_tfmxne-lh.stc").data.any()
        log = (workdir / DERIV / "logs" / "solve" / f"sub-01_desc-{cond}.log").read_text()
        assert re.search(r"WARNING: TF-MxNE not converged: final duality gap \S+ >= tol \S+", log), log
    text = visible_text(workdir / f"{PREFIX}_report.html")
    assert len(re.findall(r"not converged: final duality gap [0-9.e+-]+ >= tol [0-9.e+-]+ after 101 outer "
                          r"iterations, the solver's cap \(maxit 1 passes each, \d+ passes in all\)",
                          text)) == 2, text[:3000]
    summary = pd.read_csv(workdir / DERIV / "study_summary.tsv", sep="\t")
    assert not summary["converged"].any() and summary["final_gap"].notna().all()


def test_empty_estimate_is_a_valid_result(reference, tmp_path, shim):
    workdir = _rerun_with(reference, tmp_path, shim, tfmxne={"alpha": 99.9})
    for cond in CONDITIONS:
        for hemi in ("lh", "rh"):
            stc = mne.read_source_estimate(workdir / f"{PREFIX}_desc-{cond}_tfmxne-{hemi}.stc")
            assert sum(len(v) for v in stc.vertices) == 0 and stc.data.shape[0] == 0
            assert len(stc.times) > 0
        table = pd.read_csv(workdir / f"{PREFIX}_desc-{cond}_sources.tsv", sep="\t")
        assert list(table.columns) == COLUMNS + common_space.COLUMNS and len(table) == 0
        record = json.loads((workdir / f"{PREFIX}_desc-{cond}_convergence.json").read_text())
        assert record["n_active"] == 0 and record["converged"] is True
        log = (workdir / DERIV / "logs" / "solve" / f"sub-01_desc-{cond}.log").read_text()
        assert "WARNING: TF-MxNE: no active source at alpha = 99.9" in log
    text = visible_text(workdir / f"{PREFIX}_report.html")
    assert text.count("no active source at alpha = 99.9") == 2, text[:3000]
    summary = pd.read_csv(workdir / DERIV / "study_summary.tsv", sep="\t", keep_default_na=False)
    assert sorted(summary["condition"]) == sorted(CONDITIONS.values())
    assert (summary["n_active"] == 0).all()
    assert "TF-MxNE study summary" in (workdir / DERIV / "study_summary.html").read_text()
