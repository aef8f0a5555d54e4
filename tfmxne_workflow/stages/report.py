"""The per-recording HTML report (mne.Report): what was found and how sure the solver was."""
from __future__ import annotations

import html
from pathlib import Path

import matplotlib.pyplot as plt
import mne
import numpy as np
import pandas as pd
import yaml

from . import dense, figures, merge, metrics
from .solve import DEBIAS_TOLERABLE, alpha_text, convergence_text, debias_text, no_source_text
from .sources import source_positions_mri


#: What a stability means on EEG-only data (docs/localisation.md, "Stability: how sure a source is").
EEG_STABILITY = ("On EEG-only data the stability is no calibrated confidence: in the localisation "
                 "benchmark's EEG-only template head, half of the sources with stability 0.9 or more "
                 "lay farther than 20 mm from every true source (on MEG+EEG at most 1 in 10).")


def stability_text(record) -> str:
    """What the stabilities of a solve are computed from, and, on EEG-only data, how far to trust them."""
    what = ("the averages of random halves of the trials" if record["resampling"] == "trial halves"
            else "the average plus a draw of its noise")
    text = f"Stability over {record['stability']['n_resamples']} resamples: {what}."
    return f"{text} {EEG_STABILITY}" if record.get("modality") == "eeg" else text


def _summary_html(cond, ev) -> str:
    record, sources = cond["record"], cond["sources"]
    text = html.escape(convergence_text(record, (record.get("params") or {}).get("maxit")))
    verdict = (
        f"<b>{text}</b>" if record["converged"]
        else f"<b style='color:#b00'>{text}</b>; treat the result with care"
    )
    found = (
        f"{len(sources)} active source(s) ({sources['n_vertices'].sum()} vertices)" if len(sources)
        else f"<b>{html.escape(no_source_text(record))}</b> (lower tfmxne.alpha to find weaker sources)"
    )
    if debias_text(record):
        style = " style='color:#b00'" if record["debias_error"] > DEBIAS_TOLERABLE else ""
        verdict += f"; <b{style}>{html.escape(debias_text(record))}</b>"
    ev_txt = ", ".join(f"{k}: {100 * v:.1f} %" for k, v in ev.items())
    note = f"<p><i>{html.escape(cond['record']['weights_note'])}</i></p>" if cond["record"].get("weights_note") else ""
    if record.get("sure"):
        sure = record["sure"]
        note += (f"<p>This alpha was selected by SURE (minimal Stein unbiased "
                 f"risk estimate over {len(sure['alphas'])} alphas, l1_ratio {sure['l1_ratio']:g}).</p>")
    if record.get("noise_alpha"):
        draws = np.asarray(record["noise_alpha"])
        params = record.get("params") or {}
        note += (f"<p>This alpha was set by the noise: noise_margin "
                 f"{params.get('noise_margin'):g} x the 95th percentile of alpha_max over "
                 f"{len(draws)} draws of the noise alone ({draws.min():.3g}-{draws.max():.3g} % "
                 f"of the data's), floor {params.get('noise_floor'):g} %.</p>")
    if record.get("resampling"):
        note += f"<p>{html.escape(stability_text(record))}</p>"
    warning = (f"<p style='color:#b00;border:2px solid #b00;padding:6px'><b>Warning:</b> "
               f"{html.escape(cond['fit_warning'])}</p>" if cond["fit_warning"] else "")
    return (
        f"{warning}<p>{found}. Solver: {verdict}.</p><p>Regularisation: {html.escape(alpha_text(record))}.</p>"
        f"<p>Explained variance (1 - |residual|²/|data|², crop window): {ev_txt}.</p>{note}"
    )


def _sources_shown(sources) -> pd.DataFrame:
    """The sources table as the report shows it: where, when, how strong, how stable, what frequency.

    Stability is n/a without stability selection.
    """
    def span(lo, hi, fmt):
        return [f"{a:{fmt}}-{b:{fmt}}" if np.isfinite(a) else "n/a" for a, b in zip(lo, hi)]

    frequency = [f"{f:.1f}" if osc else "none (no oscillatory peak)"
                 for f, osc in zip(sources["peak_frequency_hz"], sources["oscillatory"].astype(bool))]
    return pd.DataFrame({
        "hemi": sources["hemi"], "vertex": sources["vertex"], "x": sources["x_mm"], "y": sources["y_mm"],
        "z": sources["z_mm"], "vertices": sources["n_vertices"], "extent (mm)": sources["extent_mm"],
        "peak time (s)": sources["peak_time_s"],
        "peak amplitude (nAm)": sources["peak_amplitude_nAm"],
        "stability": [f"{x:.2f}" if np.isfinite(x) else "n/a" for x in sources["stability"].astype(float)],
        "frequency (Hz)": frequency,
        "burst (s)": span(sources["tf_tmin_s"], sources["tf_tmax_s"], ".3f"),
        "band (Hz)": span(sources["tf_fmin_hz"], sources["tf_fmax_hz"], ".0f"),
    })


def _table_html(frame) -> str:
    return frame.to_html(index=False, float_format=lambda x: f"{x:.4g}", na_rep="n/a", border=0,
                         classes="table table-sm")


class _FigureWriter:
    """Saves each figure once as PNG and adds that image to the report."""

    def __init__(self, report, figures_dir):
        self.report, self.figures_dir = report, Path(figures_dir)

    def add(self, fig, stem, title, section):
        fname = self.figures_dir / f"{stem}.png"
        fig.savefig(fname, dpi=90)
        plt.close(fig)
        self.report.add_image(fname, title=title, section=section)


def build_report(title, conditions, forward, noise_cov, figures_dir, dense_settings, max_tf_maps=50,
                 spectra=None):
    """Assemble the report of one recording.

    Parameters
    ----------
    title : str
        Report title.
    conditions : list of dict
        One per condition with keys ``trial_type``, ``label``, ``average`` (the whole
        epoch's Evoked), ``evoked`` and ``residual`` (cropped Evoked), ``signed`` (the sources' signed time courses on
        the solve window), ``dense`` (the dense estimate, crop window), ``sources`` (DataFrame of ``*_sources.tsv``), ``record`` (convergence record)
        and ``truth`` (DataFrame or None).
    forward : mne.Forward
        Forward model (source-space geometry for the glass-brain views).
    noise_cov : mne.Covariance
        The noise covariance, shown with each average whitened by it.
    figures_dir : str | Path
        Existing folder that receives every figure as ``<condition>_<kind>.png``
        (for ``snakemake --report``); the report embeds them.
    dense_settings : dict
        ``method`` and ``snr`` of the dense estimates (:meth:`~tfmxne_workflow.plan.settings.Settings.dense`).
    max_tf_maps : int
        Number of strongest sources that get a time-frequency map (pages of 12).
    spectra : dict | None
        ``fmin`` and ``fmax`` (Hz) of the maps, as the sources table's frequencies were
        found (``sources_table``; None: 3-45 Hz).

    Returns
    -------
    report : mne.Report
    """
    report = mne.Report(title=title, verbose="error")
    figs = _FigureWriter(report, figures_dir)
    for cond in conditions:
        cond["explained_variance"] = metrics.explained_variance(cond["evoked"], cond["residual"])
        cond["fit_warning"] = metrics.poor_fit_warning(len(cond["sources"]), cond["explained_variance"])
        cond["errors"] = (metrics.localisation_errors(cond["sources"], cond["truth"], cond["trial_type"])
                          if cond["truth"] is not None else None)
    report.add_html(
        "<p>One row per condition: active sources found, whether the solver reached its "
        "duality-gap tolerance, the share of the data explained per channel type, a warning when "
        f"more than {metrics.MANY_SOURCES} sources explain less than {100 * metrics.LITTLE_EXPLAINED:.0f} % "
        "of the data and, with a ground truth, the largest distance from a true source to the "
        "nearest estimate.</p>"
        + _table_html(pd.DataFrame([_overview_row(c) for c in conditions])),
        title="Overview", section="Overview",
    )
    positions = source_positions_mri(forward)
    spectra = spectra or {"fmin": 3.0, "fmax": 45.0}
    for cond in conditions:
        _add_condition(report, figs, cond, positions, max_tf_maps, spectra, dense_settings)
    _add_noise(report, figs, conditions, noise_cov)
    report.add_html(_settings_html(conditions), title="Settings used", section="Configuration")
    return report


def _add_noise(report, figs, conditions, noise_cov):
    """The noise covariance (mne.Report's view) and each condition's average whitened by it."""
    report.add_html(
        "<p>The solver whitens the data with this noise covariance and assumes that it describes "
        "the noise. Whitened, an average is in units of the noise's standard deviation: in the "
        "baseline its traces should stay within ±1.96 and its global field power near 1; much "
        "larger values there mean the covariance underestimates the noise (too many sources "
        "follow), much smaller that it overestimates it.</p>",
        title="Noise covariance and whitened averages", section="Noise")
    report.add_covariance(noise_cov, info=conditions[0]["average"].info, title="Noise covariance")
    for cond in conditions:
        title = f"{cond['trial_type']}: average (whole epoch) whitened with the noise covariance"
        figs.add(cond["average"].plot_white(noise_cov, show=False, verbose="error"), f"{cond['label']}_whitened",
                 title, "Noise")


def _settings_html(conditions) -> str:
    """What produced the estimates, read from the results themselves (not the config).

    The solve record holds the solver settings, the prior threshold used and the solve
    window; the cropped evoked response holds the filters and the reported window. So
    the report depends on no configuration key, and a key that changes none of its
    inputs reruns no report.
    """
    blocks = []
    for cond in conditions:
        record, info = cond["record"], cond["evoked"].info
        settings = {
            "preprocessing": {"highpass_hz": float(info["highpass"]), "lowpass_hz": float(info["lowpass"]),
                              "nave": int(cond["evoked"].nave)},
            "tfmxne": {"solve_window_s": record.get("solve_window"), **(record.get("params") or {}),
                       "alpha_used_percent_of_alpha_max": record["alpha"], "alpha_max": record["alpha_max"]},
            "dspm": {"weights": record.get("weights"), "weights_min_used": record.get("weights_min_used")},
            "crop": {"tmin": float(cond["evoked"].times[0]), "tmax": float(cond["evoked"].times[-1])},
        }
        blocks.append(f"<h4>{html.escape(str(cond['trial_type']))}</h4>"
                      f"<pre>{html.escape(yaml.safe_dump(settings, sort_keys=False))}</pre>")
    return "".join(blocks)


def _overview_row(cond) -> dict:
    row = {"condition": cond["trial_type"], "n_active": len(cond["sources"]),
           "alpha (% of alpha_max)": cond["record"]["alpha"],
           "alpha (absolute)": cond["record"]["alpha"] * cond["record"]["alpha_max"] / 100,
           "converged": cond["record"]["converged"], "final_gap": cond["record"]["final_gap"],
           "debias_converged": cond["record"].get("debias_converged"),
           "debias_error": cond["record"].get("debias_error"),
           **{f"explained_var_{k}": v for k, v in cond["explained_variance"].items()},
           "warning": "many sources, little explained" if cond["fit_warning"] else ""}
    if cond["errors"] is not None:
        row["max_error_mm"] = cond["errors"]["error_mm"].max() if len(cond["errors"]) else None
    return row


def _dense_html(stc, positions, sources, settings) -> str:
    """Where and when the dense estimate peaks, and how far from the nearest sparse source."""
    hemi, vertex, time, value = dense.peak(stc)
    xyz = positions[("lh", "rh").index(hemi)][vertex] * 1e3
    near = ""
    if len(sources):
        dist = np.linalg.norm(sources[["x_mm", "y_mm", "z_mm"]].to_numpy(float) - xyz, axis=1)
        near = f", {dist.min():.0f} mm from the nearest sparse source"
    method = settings["method"]
    return (f"<p>Dense estimate ({method}, SNR {settings['snr']:g}: lambda2 = 1/SNR², the sparse "
            f"solver's loose and depth; files <code>*_proc-crop_desc-*_{method.lower()}-{{lh,rh}}.stc</code>): "
            f"peak {value:.3g} ({html.escape(dense.UNITS[method])}) at {hemi}:{vertex}, ({xyz[0]:.0f}, "
            f"{xyz[1]:.0f}, {xyz[2]:.0f}) mm, {time:.3f} s{near}. A dense estimate spreads every source "
            "over its neighbourhood; where it and the sparse one agree, the sparse sources are not "
            "an artefact of the penalty.</p>")


def _add_condition(report, figs, cond, positions, max_tf_maps, spectra, dense_settings):
    """The section of one condition: summary, butterflies, sources, where, when, TF, convergence, dense."""
    name, label = cond["trial_type"], cond["label"]
    evoked, residual, sources = cond["evoked"], cond["residual"], cond["sources"]
    section = f"Condition: {name}"
    report.add_html(_summary_html(cond, cond["explained_variance"]), title=f"{name}: summary",
                    section=section)
    if len(sources):
        report.add_html(_table_html(_sources_shown(sources)),
                        title=f"{name}: active sources (MRI surface RAS, mm; all columns in *_sources.tsv)",
                        section=section)
    report.add_html(_dense_html(cond["dense"], positions, sources, dense_settings),
                    title=f"{name}: dense estimate ({dense_settings['method']})", section=section)
    truth = None
    if cond["errors"] is not None:
        report.add_html(_table_html(cond["errors"]), title=f"{name}: localisation error vs. ground truth",
                        section=section)
        truth = cond["truth"][cond["truth"]["condition"].astype(str) == str(name)]
    for ch_type in evoked.get_channel_types(unique=True, only_data_chs=True):
        for kind, obj in (("evoked", evoked), ("residual", residual)):
            fig = figures.butterfly(obj, ch_type, f"{name}: {kind} ({ch_type})")
            figs.add(fig, f"{label}_{kind}_{ch_type}", f"{name}: {kind} ({ch_type})", section)
    window = (evoked.times[0], evoked.times[-1])
    merged = merge.merged_estimate(cond["signed"], merge.table_sources(sources), window)
    for key, fig, fig_title in (
        ("where", figures.glass_brain(positions, sources, truth, f"{name}: where"), "where (glass brain)"),
        ("timecourses", figures.source_time_courses(
            merged.copy().crop(*window), sources,
            f"{name}: active sources (signed, along each vertex's principal orientation, summed per source)"),
         "time courses"),
        ("convergence", figures.convergence(cond["record"], f"{name}: solver convergence"), "convergence"),
        ("dense", figures.dense_peak(cond["dense"], positions, sources, dense.UNITS[dense_settings["method"]],
                                     f"{name}: dense estimate ({dense_settings['method']}) at its peak"),
         f"dense estimate ({dense_settings['method']})"),
        *([("sure", figures.sure_curve(cond["record"]["sure"], f"{name}: choice of alpha by SURE"),
            "SURE path")] if cond["record"].get("sure") else []),
    ):
        figs.add(fig, f"{label}_{key}", f"{name}: {fig_title}", section)
    pages = figures.tf_maps(merged, sources.head(max_tf_maps), spectra["fmin"], spectra["fmax"],
                            window, f"{name}: time-frequency maps (Morlet, each source's signed time course)")
    for k, fig in enumerate(pages, 1):
        figs.add(fig, f"{label}_tf_{k}", f"{name}: time-frequency maps"
                 + (f" ({k} of {len(pages)})" if len(pages) > 1 else ""), section)
