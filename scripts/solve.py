"""Rule solve: TF-MxNE on one condition, with signed time courses, residual and convergence record."""
import mne

from tfmxne_workflow import atomic
from tfmxne_workflow.jobs import job_context
from tfmxne_workflow.stages import solve

with job_context(snakemake):
    inp = snakemake.input
    dspm = mne.read_source_estimate(inp.dspm) if "dspm" in inp.keys() else None
    # the condition's trials, for stability selection's random halves
    epochs = (mne.read_epochs(inp.epochs, preload=False, verbose="error")[snakemake.params.selector]
              if "epochs" in inp.keys() else None)
    solution = solve.solve_recording(
        mne.read_evokeds(inp.evoked, verbose="error")[0],
        mne.read_forward_solution(inp.fwd, verbose="error"),
        mne.read_cov(inp.noise_cov, verbose="error"),
        snakemake.params.solve, dspm=dspm, epochs=epochs,
    )
    atomic.save_stc(solution.stc, snakemake.output.lh)
    atomic.save_stc(solution.signed, snakemake.output.signed_lh)
    atomic.save_fif(solution.residual, snakemake.output.residual)
    atomic.write_json(snakemake.output.convergence, solution.record)
    atomic.save_npz(snakemake.output.resamples, solution.resamples)
