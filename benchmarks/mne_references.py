"""MNE-Python's other sparse solvers on the localisation benchmark's recordings (benchmark only).

The field's references beside TF-MxNE: irMxNE (``mne.inverse_sparse.mixed_norm`` with
``n_mxne_iter`` > 1, Strohmeier et al. 2016) and gamma-MAP (``gamma_map``, Wipf and
Nagarajan 2009). Each runs on the workflow's solve window with the workflow's forward,
baseline covariance, ``loose`` and ``depth``, and is scored through the workflow's own crop
and sources-table stages, so that its rows compare one to one with TF-MxNE's. The product
never calls ``mne.inverse_sparse``.
"""

from __future__ import annotations

import time

import numpy as np

#: Reference configurations: name -> (method, parameters). irMxNE as in MNE's example
#: "Compute sparse inverse solution with mixed norm: MxNE and irMxNE" (dSPM weights with
#: ``weights_min`` 8, 10 reweightings) at three alphas (percent of alpha_max); gamma-MAP as in
#: MNE's gamma-MAP example at two noise regularisations (the example's 0.5 finds
#: nothing on these recordings).
REFERENCES = {
    "mne-irmxne-a30": ("irmxne", dict(alpha=30.0)),
    "mne-irmxne-a50": ("irmxne", dict(alpha=50.0)),
    "mne-irmxne-a70": ("irmxne", dict(alpha=70.0)),
    "mne-gammamap-a0.05": ("gamma_map", dict(alpha=0.05)),
    "mne-gammamap-a0.2": ("gamma_map", dict(alpha=0.2)),
}


def run_reference(recording, head, name: str, dspm_cache: dict | None = None):
    """Solve ``recording`` with the reference ``name`` (:data:`REFERENCES`); a :class:`Run`."""
    from mne.inverse_sparse import gamma_map, mixed_norm

    from tfmxne_simulation import localisation as loc
    from tfmxne_workflow.stages import crop, sources
    from tfmxne_workflow.stages.solve import effective_weights_min

    method, params = REFERENCES[name]
    settings = loc.settings_of({})
    tf, prior = settings["tfmxne"], settings["dspm"]
    evoked = crop.solve_window(recording.evoked, [tf["tmin"], tf["tmax"]])
    start = time.perf_counter()
    if method == "irmxne":
        weights, dspm_time = loc.dspm_prior(recording, head, settings, dspm_cache)
        start -= dspm_time
        dipoles, residual = mixed_norm(evoked, head.forward, recording.noise_cov, loose=tf["loose"],
                                   depth=tf["depth"], weights=weights,
                                   weights_min=effective_weights_min(weights, 8.0, prior["weights_min_fallback"])[0],
                                   n_mxne_iter=10, maxit=3000, tol=1e-4, return_as_dipoles=True,
                                   return_residual=True, verbose="error", **params)
    else:
        try:
            dipoles, residual = gamma_map(evoked, head.forward, recording.noise_cov, loose=tf["loose"],
                                          depth=tf["depth"], xyz_same_gamma=True, return_as_dipoles=True,
                                          return_residual=True, verbose="error", **params)
        except Exception as err:  # gamma-MAP raises when it prunes every source
            if "No active dipoles" not in str(err):
                raise
            dipoles, residual = [], evoked.copy()
    elapsed = time.perf_counter() - start
    amplitude, signed = estimates(dipoles, head.forward, evoked.times)
    window = settings["crop"]
    cropped = crop.crop_results(amplitude, recording.evoked, residual, window["tmin"], window["tmax"])[0]
    record = dict(converged=True, final_gap=None, alpha=params["alpha"], tf_peaks=[
        dict(hemi=hemi, vertex=int(v), peak_frequency_hz=np.nan)
        for hemi, vertno in zip(("lh", "rh"), amplitude.vertices) for v in vertno])
    table = sources.sources_table(cropped, head.forward, record, "", signed, **settings.spectra(),
                                  **settings.merge())
    return loc.Run(cropped, record, elapsed, table)


def estimates(dipoles, forward, times):
    """The amplitude and signed estimates (as the workflow's solve writes them) of ``dipoles``.

    MNE returns the sparse solvers' vector estimates only as dipoles here (its
    ``pick_ori='vector'`` estimate fails on a surface-oriented forward); each dipole sits on
    a source-space position. The signed time course is the dipole's moment along its
    principal orientation, signed along the cortical normal.
    """
    import mne

    rr = np.concatenate([s["rr"][s["vertno"]] for s in forward["src"]])
    nn = np.concatenate([s["nn"][s["vertno"]] for s in forward["src"]])
    n_lh = len(forward["src"][0]["vertno"])
    found = {}
    for dip in dipoles:
        k = int(np.argmin(np.linalg.norm(rr - dip.pos[0], axis=1)))
        moment = (dip.amplitude[:, None] * dip.ori).T  # (3, n_times)
        u, s, vt = np.linalg.svd(moment, full_matrices=False)
        found[k] = (np.linalg.norm(moment, axis=0), np.sign(u[:, 0] @ nn[k] or 1.0) * s[0] * vt[0])
    keys = sorted(found)
    vertices = [forward["src"][0]["vertno"][[k for k in keys if k < n_lh]],
                forward["src"][1]["vertno"][[k - n_lh for k in keys if k >= n_lh]]]
    tstep = times[1] - times[0]

    def stc(column):
        data = np.array([found[k][column] for k in keys]).reshape(len(keys), len(times))
        return mne.SourceEstimate(data, vertices, times[0], tstep)

    return stc(0), stc(1)
