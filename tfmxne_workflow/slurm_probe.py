"""Keep Snakemake's start-up from waiting on ``scontrol`` or importing pandas for the SLURM plugin.

Snakemake imports every installed executor plugin while it builds its command line. The
SLURM plugin (snakemake-executor-plugin-slurm 2.8) computes the help text of
``--slurm-status-command`` at import, through ``should_recommend_squeue_status_command``,
which runs ``scontrol show config``: where the SLURM client is installed but its controller
does not answer, every ``snakemake`` call waits for it (up to the plugin's 10 s timeout).
:func:`install` replaces that one function, used for the help text only, by one that answers
without asking; a SLURM run's own status checks still read ``MinJobAge`` as before. The
plugin's ``efficiency_report`` (used after a SLURM run, when asked for) imports pandas at import,
~0.5 s of CPU on every start: it gets a stand-in that imports pandas on first use.

``make install`` runs :func:`write_pth`, which writes a ``.pth`` file
into the environment's ``site-packages`` so that every interpreter of the environment
(``snakemake`` included) calls :func:`install` at start-up; it costs one string comparison
per import.
"""
import sys

_PROBE = "snakemake_executor_plugin_slurm.job_status_query"
_REPORT = "snakemake_executor_plugin_slurm.efficiency_report"
PTH_NAME = "tfmxne_slurm_probe.pth"
#: Does nothing where the package is gone (uninstalled, or a checkout without this module).
PTH_LINE = ('import sys; exec("try:\\n import tfmxne_workflow.slurm_probe as p\\nexcept ImportError:\\n pass\\n'
            'else:\\n p.install()")\n')


def _no_recommendation(min_threshold_seconds=120):
    """The plugin's help-text recommendation of ``squeue``, made without asking ``scontrol``."""
    return False


class _Deferred:
    """Stand-in for the module ``name``, imported on first attribute access."""

    def __init__(self, name):
        self._name = name

    def __getattr__(self, attr):
        if attr.startswith("__"):  # what the import system asks of a module in sys.modules
            raise AttributeError(attr)
        import importlib

        if sys.modules.get(self._name) is self:
            del sys.modules[self._name]
        return getattr(importlib.import_module(self._name), attr)


def _exec_with_deferred(exec_module, module, name):
    """``exec_module(module)`` with ``import name`` in it bound to a :class:`_Deferred`."""
    if name in sys.modules:
        return exec_module(module)
    stand_in = sys.modules[name] = _Deferred(name)
    try:
        exec_module(module)
    finally:
        if sys.modules.get(name) is stand_in:
            del sys.modules[name]


class _Finder:
    """Meta-path finder that patches the plugin's two modules as they load."""

    def find_spec(self, name, path, target=None):
        if name not in (_PROBE, _REPORT):
            return None
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(name, path)
        if spec is None or not hasattr(spec.loader, "exec_module"):
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_patch(module):
            if name == _REPORT:
                return _exec_with_deferred(exec_module, module, "pandas")
            exec_module(module)
            if hasattr(module, "should_recommend_squeue_status_command"):
                module.should_recommend_squeue_status_command = _no_recommendation

        spec.loader.exec_module = exec_and_patch
        return spec


def install():
    """Patch the SLURM plugin's start-up costs when it is imported (once per interpreter)."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path) and _PROBE not in sys.modules:
        sys.meta_path.insert(0, _Finder())


def write_pth():
    """Write the ``.pth`` file that calls :func:`install` into the environment's ``site-packages``."""
    import sysconfig
    from pathlib import Path

    path = Path(sysconfig.get_paths()["purelib"]) / PTH_NAME
    path.write_text(PTH_LINE)
    return path
