"""Each rule declares the project modules its script runs (tfmxne_workflow.code_inputs)."""
import re

from conftest import REPO

from tfmxne_workflow.code_inputs import code_inputs


def _relative(files):
    return {str(f).removeprefix(str(REPO) + "/") for f in files}


def test_the_walk_follows_imports_inside_functions_and_relative_imports():
    solve = _relative(code_inputs(REPO / "scripts" / "solve.py", REPO))
    # scripts/solve.py -> stages.solve -> (inside solve_tfmxne) tfmxne: the whole solver
    assert {"tfmxne_workflow/stages/solve.py", "tfmxne_workflow/stages/prior.py",
            "tfmxne_workflow/atomic.py", "tfmxne/solver.py", "tfmxne/stft.py",
            "tfmxne/inverse.py", "tfmxne/sure.py"} <= solve
    report = _relative(code_inputs(REPO / "scripts" / "report.py", REPO))
    # stages.report imports figures and metrics relatively (from . import ...)
    assert {"tfmxne_workflow/stages/report.py", "tfmxne_workflow/stages/figures.py",
            "tfmxne_workflow/stages/metrics.py", "tfmxne_workflow/stages/solve.py"} <= report
    template = _relative(code_inputs(REPO / "scripts" / "template_subject.py", REPO))
    # stages.forward.write_template imports the template head lazily, which imports meshes
    assert {"tfmxne_workflow/headmodels/template.py", "tfmxne_workflow/headmodels/meshes.py"} <= template


def test_every_rule_declares_the_code_of_its_own_script():
    """``code=code_of("x")`` in a rule whose script is scripts/x.py, and every script has one."""
    rules = "".join(p.read_text() for p in sorted((REPO / "workflow" / "rules").glob("*.smk")))
    blocks = re.split(r"(?m)^\s*rule (\w+):", rules)[1:]
    checked = 0
    for name, body in zip(blocks[::2], blocks[1::2]):
        script = re.search(r'script:\s*\n\s*"\.\./\.\./scripts/(\w+)\.py"', body)
        if not script:
            continue
        declared = re.findall(r'code_of\("(\w+)"\)', body)
        if not declared:  # inputs from a function of common.smk
            func = re.search(r"unpack\((\w+)\)|^\s*(\w+_inputs),?$", body, re.M)
            assert func, f"rule {name} declares no code input"
            common = (REPO / "workflow" / "rules" / "common.smk").read_text()
            fname = func.group(1) or func.group(2)
            declared = re.findall(r'code_of\("(\w+)"\)', common.split(f"def {fname}(")[1].split("\ndef ")[0])
        assert declared == [script.group(1)], f"rule {name}: code_of{declared} for script {script.group(1)}"
        checked += 1
    assert checked >= 15
