"""Rule dspm: dSPM estimate on the solve window (the TF-MxNE source weights)."""
from tfmxne_workflow import atomic
from tfmxne_workflow.errors import exit_on_bad_input
from tfmxne_workflow.jobs import job_context
from tfmxne_workflow.stages import dspm

with exit_on_bad_input(), job_context(snakemake):
    stc = dspm.dspm_on_solve_window(*dspm.read_inputs(snakemake.input), snakemake.params.dspm)
    atomic.save_stc(stc, snakemake.output.lh)
