"""With ``make install``'s hook a local ``snakemake`` never waits on ``scontrol`` (nor imports pandas for it)."""
import os
import subprocess
import sys
import sysconfig


def test_snakemake_does_not_run_scontrol(tmp_path):
    # A bare environment over this one's packages, with the hook `make install` writes.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site_dir = subprocess.check_output([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                       text=True).strip()
    base = sysconfig.get_paths()["purelib"]
    (venv / site_dir / "00-base.pth").write_text(f"import site; site.addsitedir({base!r})\n")
    subprocess.run([python, "-c", "import tfmxne_workflow.slurm_probe as p; p.write_pth()"], check=True)
    # A SLURM client whose controller does not answer: scontrol leaves a mark and hangs.
    bin_dir, called = tmp_path / "bin", tmp_path / "scontrol-called"
    bin_dir.mkdir()
    for tool, body in (("scontrol", f"touch {called}\nsleep 30"), ("sinfo", "true"), ("sacct", "true")):
        (bin_dir / tool).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / tool).chmod(0o755)
    (tmp_path / "Snakefile").write_text('rule a:\n    output:\n        "a.txt"\n    shell:\n        "touch {output}"\n')
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    for args in (["-n", "-c1"], ["--help"]):
        proc = subprocess.run([python, "-m", "snakemake", *args], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert not called.exists(), f"snakemake {' '.join(args)} ran scontrol"
    assert "--slurm-status-command" in proc.stdout  # the SLURM plugin is still loaded
    # its efficiency report gets pandas on first use, not at import
    check = ("import sys; from snakemake_executor_plugin_slurm import efficiency_report as e; "
             "assert 'pandas' not in sys.modules; assert e.pd.isna(None) and 'pandas' in sys.modules")
    subprocess.run([python, "-c", check], env=env, check=True)
