"""Each rule passes the versions of the project modules its script runs (tfmxne_workflow.plan.code)."""
import re

from conftest import REPO

from tfmxne_workflow.plan.code import code_files, versions

RULES = REPO / "workflow" / "rules"


def test_the_walk_follows_imports_inside_functions_and_relative_imports():
    solve = set(code_files(REPO / "scripts" / "solve.py", REPO))
    # scripts/solve.py -> stages.solve -> (inside solve_tfmxne) `from tfmxne import`: the whole solver
    assert {"tfmxne_workflow/stages/solve.py", "tfmxne_workflow/stages/crop.py",
            "tfmxne_workflow/atomic.py", "tfmxne/solver.py", "tfmxne/stft.py",
            "tfmxne/inverse.py", "tfmxne/sure.py"} <= solve
    report = set(code_files(REPO / "scripts" / "report.py", REPO))
    # stages.report imports figures and metrics relatively (from . import ...)
    assert {"tfmxne_workflow/stages/report.py", "tfmxne_workflow/stages/figures.py",
            "tfmxne_workflow/stages/metrics.py", "tfmxne_workflow/stages/solve.py"} <= report
    template = set(code_files(REPO / "scripts" / "template_subject.py", REPO))
    # stages.forward.write_template imports the template head lazily, which imports meshes
    assert {"tfmxne_workflow/headmodels/template.py", "tfmxne_workflow/headmodels/meshes.py"} <= template


def test_upstream_rules_do_not_depend_on_the_solver():
    """A solver submodule counts alone: the forward needs tfmxne._mne_private, not the solver."""
    forward = set(code_files(REPO / "scripts" / "forward.py", REPO))
    assert {"tfmxne/__init__.py", "tfmxne/_mne_private.py"} <= forward
    for script in ("forward", "epochs", "evoked", "noise_cov", "measurement_info", "dspm", "crop"):
        assert "tfmxne/solver.py" not in code_files(REPO / "scripts" / f"{script}.py", REPO), script


def test_the_jobs_do_not_run_the_plan():
    """Layers: the plan (parse time) reads the stages, never the reverse, so a plan edit reruns no job."""
    for script in sorted((REPO / "scripts").glob("*.py")):
        files = code_files(script, REPO)
        assert not [f for f in files if f.startswith("tfmxne_workflow/plan/")], script.name
        assert not [f for f in files if f.startswith("tfmxne_simulation/")], script.name


def test_versions_are_content_hashes(tmp_path):
    (tmp_path / "tfmxne_workflow").mkdir()
    (tmp_path / "tfmxne_workflow" / "__init__.py").write_text("")
    (tmp_path / "tfmxne_workflow" / "a.py").write_text("X = 1\n")
    script = tmp_path / "s.py"
    script.write_text("from tfmxne_workflow import a\n")
    before = versions(script, tmp_path)
    assert set(before) == {"tfmxne_workflow/__init__.py", "tfmxne_workflow/a.py"}
    (tmp_path / "tfmxne_workflow" / "a.py").write_text("X = 2\n")
    from tfmxne_workflow.plan import code

    code._digest.cache_clear()
    after = versions(script, tmp_path)
    assert after["tfmxne_workflow/a.py"] != before["tfmxne_workflow/a.py"]
    assert after["tfmxne_workflow/__init__.py"] == before["tfmxne_workflow/__init__.py"]


def test_every_rule_passes_the_code_of_its_own_script():
    """``code=PLAN.code("x")`` in the params of a rule whose script is scripts/x.py."""
    rules = "".join(p.read_text() for p in sorted(RULES.glob("*.smk")))
    blocks = re.split(r"(?m)^\s*rule (\w+):", rules)[1:]
    checked = 0
    for name, body in zip(blocks[::2], blocks[1::2]):
        script = re.search(r'script:\s*\n\s*"\.\./\.\./scripts/(\w+)\.py"', body)
        if not script:
            continue
        declared = re.findall(r'code=PLAN\.code\("(\w+)"\)', body)
        assert declared == [script.group(1)], f"rule {name}: code {declared} for script {script.group(1)}"
        checked += 1
    assert checked >= 20
