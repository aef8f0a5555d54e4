"""Checks of the configuration and the dataset before any job runs.

The workflow (``workflow/rules/common.smk``) calls these while it parses, so bad input
stops the run at once, before anything is written, with one message that names the
culprit and the fix. Every check raises :class:`BadInput` (a ``ValueError``);
:func:`exit_on_bad_input` turns it into a clean exit (status 1, no traceback).
"""
from __future__ import annotations

import contextlib
import difflib
import sys
from pathlib import Path

import yaml

#: Where the meaning of every key is written down (said in config error messages).
KEYS_DOC = "workflow/schemas/config.schema.yaml (table: docs/configuration.md)"

#: BIDS channels.tsv types -> MNE channel types the inverse problem uses. MNE reads
#: CTF/4D axial gradiometers as 'mag'; 'MEGGRAD' (seen in the wild) may be either.
BIDS_CH_TYPES = {
    "MEGMAG": ("mag",), "MEGGRADAXIAL": ("mag",), "MEGGRADPLANAR": ("grad",),
    "MEGGRAD": ("grad", "mag"), "EEG": ("eeg",),
}


class BadInput(ValueError):
    """Bad configuration or data: the message names the culprit and the fix."""


def shown_names(names, limit=10) -> str:
    """The first ``limit`` names, comma-separated, and how many more (for error messages)."""
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


@contextlib.contextmanager
def exit_on_bad_input(prefix="Error: "):
    """Turn a ``ValueError`` raised inside into ``sys.exit(message)``.

    Snakemake prints the message of a ``SystemExit`` raised while it parses the
    workflow as it is (exit status 1), without the traceback it prints for any other
    exception. Used around the parse-time checks in ``common.smk`` and around the
    body of rule scripts (after their log has the traceback).
    """
    try:
        yield
    except ValueError as err:
        sys.exit(f"{prefix}{err}")


# --------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------

def load_schema(schema_path) -> dict:
    """The configuration schema (YAML)."""
    return yaml.safe_load(Path(schema_path).read_text(encoding="utf-8"))


def _window_errors(window, inside=None):
    """Problems of a ``(section, values, description)`` time window.

    ``tmin`` must be before ``tmax``, and the window must lie inside the ``inside`` window.
    """
    name, values, what = window
    tmin, tmax = values["tmin"], values["tmax"]
    if tmin >= tmax:
        return [f"{name}.tmin ({tmin:g} s) must be before {name}.tmax ({tmax:g} s)"]
    if inside is None:
        return []
    outer_name, outer, outer_what = inside
    if tmin < outer["tmin"] or tmax > outer["tmax"]:
        return [f"{what} {name}.tmin..tmax ({tmin:g}..{tmax:g} s) must lie inside {outer_what} "
                f"{outer_name}.tmin..tmax ({outer['tmin']:g}..{outer['tmax']:g} s)"]
    return []


def check_config(config: dict, schema) -> None:
    """Check ``config`` against the schema and the rules the schema cannot express.

    Parameters
    ----------
    config : dict
        The configuration as given (defaults are not needed; the cross-key checks
        fill them in on a copy).
    schema : dict | str | Path
        The schema or its path.

    Raises
    ------
    BadInput
        Listing every problem found, each with the key, the value and what is allowed.
    """
    if not isinstance(schema, dict):
        schema = load_schema(schema)
    problems = unknown_keys(config, schema)
    if not problems:
        problems = schema_errors(config, schema)
    if not problems:
        problems = cross_key_errors(with_defaults(config, schema))
    if problems:
        raise BadInput(_config_message(problems))


def _config_message(problems) -> str:
    lines = "\n".join(f"  - {p}" for p in problems)
    what = "a problem" if len(problems) == 1 else f"{len(problems)} problems"
    return (
        f"the configuration has {what}:\n{lines}\n"
        f"Fix it in your --configfile (or config.yaml); every key is described in {KEYS_DOC}."
    )


def unknown_keys(config, schema, where="") -> list:
    """Keys the schema does not know, each with the closest known key suggested."""
    problems = []
    if not isinstance(config, dict) or schema.get("type") not in ("object", ["object", "null"]):
        return problems
    known = schema.get("properties", {})
    for key, value in config.items():
        name = f"{where}{key}"
        if key not in known:
            if schema.get("additionalProperties", True) is False:
                problems.append(f"{name} is not a configuration key; {_suggest(str(key), known, where)}")
            continue
        problems += unknown_keys(value, known[key], f"{name}.")
    return problems


def _suggest(key, known, where) -> str:
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    section = f"of {where[:-1]}" if where else "at the top level"
    return f"the keys {section} are: {', '.join(known)}"


def schema_errors(config, schema) -> list:
    """Type and range errors, one per key: ``key = value is not allowed; expected ...``."""
    from jsonschema import Draft202012Validator

    seen, problems = set(), []
    errors = sorted(Draft202012Validator(schema).iter_errors(config), key=lambda e: list(map(str, e.path)))
    for error in errors:
        if "then" in error.schema_path or "if" in error.schema_path:
            continue  # alpha: sure needs n_tfmxne_iter 1: said by cross_key_errors
        path = [p for p in error.path if not isinstance(p, int)]
        if not path:  # the whole config is not a mapping
            problems.append(f"the configuration must be a mapping of keys to values, got {config!r}")
            continue
        name = ".".join(map(str, path))
        if name in seen:
            continue
        seen.add(name)
        value = _get(config, path)
        problems.append(f"{name} = {_show(value)} is not allowed; expected {describe(_subschema(schema, path))}")
    return problems


def _get(config, path):
    for key in path:
        config = config[key]
    return config


def _subschema(schema, path) -> dict:
    for key in path:
        schema = schema.get("properties", {}).get(key, {})
    return schema


def _show(value) -> str:
    return "null" if value is None else repr(value)


_TYPE_WORDS = {
    "number": "a number", "integer": "an integer", "string": "a string", "array": "a list",
    "object": "a mapping", "boolean": "true or false", "null": "null",
}


def describe(schema: dict) -> str:
    """What a (sub)schema allows, in words: ``'a number >= 0 and < 100, or 'sure''``."""
    for combinator in ("oneOf", "anyOf"):
        if combinator in schema and all("type" in s or "const" in s or "enum" in s for s in schema[combinator]):
            return ", or ".join(describe(s) for s in schema[combinator])
    if "const" in schema:
        return repr(schema["const"])
    if "enum" in schema:
        values = [_show(v) for v in schema["enum"]]
        return values[0] if len(values) == 1 else "one of " + ", ".join(values)
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else list(types)
    parts = []
    for t in types:
        text = _TYPE_WORDS.get(t, t)
        if t in ("number", "integer"):
            text += _bounds(schema)
        elif t == "array":
            if "items" in schema:
                text += f" of {_plural(describe(schema['items']))}"
            text += _sizes(schema)
        parts.append(text)
    return " or ".join(parts) if parts else "a valid value"


def _bounds(schema) -> str:
    words = []
    for key, op in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="), ("exclusiveMaximum", "<")):
        if key in schema:
            words.append(f"{op} {schema[key]:g}")
    if "multipleOf" in schema:
        words.append(f"a multiple of {schema['multipleOf']:g}")
    return (" " + " and ".join(words)) if words else ""


def _sizes(schema) -> str:
    lo, hi = schema.get("minItems"), schema.get("maxItems")
    if lo is not None and lo == hi:
        return f" ({lo} of them)"
    if lo and hi:
        return f" ({lo} to {hi} of them)"
    if lo and lo > 1:
        return f" (at least {lo})"
    return ""


def _plural(text) -> str:
    for article in ("an ", "a "):
        if text.startswith(article):
            return text[len(article):].replace("number", "numbers", 1).replace("integer", "integers", 1).replace("string", "strings", 1)
    return text


def with_defaults(config, schema) -> dict:
    """A copy of ``config`` with the schema defaults filled in (as Snakemake's ``validate``)."""
    import copy

    config = copy.deepcopy(config)

    def fill(instance, sub):
        if not isinstance(instance, dict):
            return
        for key, prop in sub.get("properties", {}).items():
            if "default" in prop:
                instance.setdefault(key, copy.deepcopy(prop["default"]))
            if key in instance:
                fill(instance[key], prop)

    fill(config, schema)
    return config


def cross_key_errors(config) -> list:
    """Checks across keys: time windows, STFT sizes, options that need others."""
    problems = []
    prep, tf, crop, cov, fwd = (config[k] for k in ("preprocessing", "tfmxne", "crop", "noise_cov", "forward"))

    if tf["alpha"] in ("sure", "auto") and tf["n_tfmxne_iter"] != 1:
        problems.append(
            f"tfmxne.alpha: {tf['alpha']} needs tfmxne.n_tfmxne_iter: 1 (it is {tf['n_tfmxne_iter']}); "
            "set n_tfmxne_iter to 1 or give alpha a number"
        )
    problems += _stft_errors(tf["wsize"], tf["tstep"])

    # Time windows: crop inside the solve window inside the epoch.
    epoch = ("preprocessing", prep, "the epoch")
    solve = ("tfmxne", tf, "the solve window")
    problems += _window_errors(epoch)
    problems += _window_errors(solve, inside=epoch)
    problems += _window_errors(("crop", crop, "the reported window"), inside=solve)
    baseline = prep["baseline"]
    if baseline is not None:
        lo = prep["tmin"] if baseline[0] is None else baseline[0]
        hi = prep["tmax"] if baseline[1] is None else baseline[1]
        if lo >= hi or lo < prep["tmin"] or hi > prep["tmax"]:
            problems.append(
                f"preprocessing.baseline {baseline} must be an interval inside the epoch "
                f"preprocessing.tmin..tmax ({prep['tmin']:g}..{prep['tmax']:g} s)"
            )
    if cov["source"] == "baseline" and cov["tmax"] <= prep["tmin"]:
        problems.append(
            f"noise_cov.tmax ({cov['tmax']:g} s) must be after preprocessing.tmin ({prep['tmin']:g} s): "
            "the noise covariance is estimated from preprocessing.tmin to noise_cov.tmax"
        )
    if prep["l_freq"] is not None and prep["h_freq"] is not None and prep["l_freq"] >= prep["h_freq"]:
        problems.append(f"preprocessing.l_freq ({prep['l_freq']:g} Hz) must be below preprocessing.h_freq ({prep['h_freq']:g} Hz)")

    if fwd["source"] == "precomputed" and not fwd["fname"]:
        problems.append("forward.source is 'precomputed' but forward.fname is not set; give the -fwd.fif path "
                        "pattern, e.g. /data/fwd/sub-{subject}-fwd.fif")
    if fwd["source"] == "freesurfer" and not fwd["subjects_dir"]:
        problems.append("forward.source is 'freesurfer' but forward.subjects_dir is not set; give the FreeSurfer "
                        "subjects directory")
    return problems


def _stft_errors(wsize, tstep) -> list:
    if isinstance(wsize, list) != isinstance(tstep, list) or (
        isinstance(wsize, list) and len(wsize) != len(tstep)
    ):
        return [f"tfmxne.wsize {wsize} and tfmxne.tstep {tstep} must both be numbers or lists of the same "
                "length (one hop per window size)"]
    problems = []
    for w, t in zip(*(v if isinstance(v, list) else [v] for v in (wsize, tstep))):
        if w % t or t > w // 2:
            problems.append(
                f"tfmxne.tstep {t} does not fit tfmxne.wsize {w}: the hop must divide the window "
                f"and be at most half of it (for wsize {w}: {', '.join(map(str, _hops(w)))})"
            )
    return problems


def _hops(wsize) -> list:
    return [t for t in range(2, wsize // 2 + 1, 2) if wsize % t == 0]


# --------------------------------------------------------------------------------------
# Dataset
# --------------------------------------------------------------------------------------

def check_raw_files(recordings) -> None:
    """Every run's raw file is there and not empty (a broken link: data not fetched)."""
    problems = []
    for rec in recordings:
        for f in rec.raw_files:
            f = Path(f)
            if f.is_symlink() and not f.exists():
                problems.append(f"{f} is a broken link (git-annex/DataLad content not retrieved? "
                                "run `datalad get` or `git annex get` on it)")
            elif not f.exists():
                problems.append(f"{f} does not exist")
            elif f.is_file() and f.stat().st_size == 0:
                problems.append(f"{f} is empty (0 bytes); copy it again from its source")
    if problems:
        raise BadInput("raw data files are missing or empty:\n" + "\n".join(f"  - {p}" for p in problems))


def _read_channels_tsv(tsv):
    import pandas as pd

    return pd.read_csv(tsv, sep="\t", dtype=str, keep_default_na=False)


def channels_by_type(tsv) -> dict | None:
    """``{mne type: [(name, status), ...]}`` of the data channels in a channels.tsv.

    ``None`` when the file is missing or lacks the ``name``/``type`` columns (the
    job then checks the data themselves). Ambiguous 'MEGGRAD' channels are listed
    under both 'grad' and 'mag'.
    """
    tsv = Path(tsv)
    if not tsv.is_file():
        return None
    table = _read_channels_tsv(tsv)
    if not {"name", "type"} <= set(table.columns):
        return None
    status = table["status"] if "status" in table else ["good"] * len(table)
    found = {}
    for name, kind, st in zip(table["name"], table["type"], status):
        for mne_type in BIDS_CH_TYPES.get(kind.upper(), ()):
            found.setdefault(mne_type, []).append((name, st.strip().lower() or "good"))
    return found


def check_channels(recordings, ch_types) -> None:
    """Requested channel types exist and not every channel is bad (from channels.tsv).

    Parameters
    ----------
    recordings : list of tfmxne_workflow.dataset.Recording
    ch_types : None | list of str
        ``preprocessing.ch_types``.
    """
    from .dataset import channels_tsv

    for rec in recordings:
        for raw_file in rec.raw_files:
            tsv = channels_tsv(raw_file)
            found = channels_by_type(tsv)
            if found is None:
                continue
            present = [t for t in ("grad", "mag", "eeg") if t in found]
            if ch_types is None:
                wanted = present
                if not wanted:
                    raise BadInput(f"{tsv} lists no MEG or EEG channels (types MEGMAG, MEGGRADPLANAR, "
                                   "MEGGRADAXIAL or EEG); check the file's type column")
            else:
                expanded = {t: ("grad", "mag") if t == "meg" else (t,) for t in ch_types}
                absent = [t for t, types in expanded.items() if not set(types) & set(present)]
                if absent:
                    raise BadInput(
                        f"channel types {absent} requested (preprocessing.ch_types) but {tsv.name} of "
                        f"sub-{rec.subject} has only {present}; set preprocessing.ch_types to "
                        f"some of {present} (or null for all)"
                    )
                wanted = [t for t in present if any(t in types for types in expanded.values())]
            channels = {name: st for t in wanted for name, st in found[t]}
            if channels and all(st == "bad" for st in channels.values()):
                raise BadInput(
                    f"all {len(channels)} {'/'.join(wanted)} channels are marked bad in {tsv}; "
                    "set the status of the usable ones to 'good' (or choose other preprocessing.ch_types)"
                )


def check_precomputed_forwards(pattern, recordings, ch_types) -> None:
    """Every recording's precomputed forward exists, fits its channels and subject.

    Reads only the forward's channel names and MRI subject (cheap).
    """
    from .dataset import channels_tsv
    from .stages.forward import peek_forward

    missing = []
    for rec in recordings:
        fname = Path(forward_fname(pattern, rec.subject, rec.session))
        if not fname.is_file():
            missing.append(f"sub-{rec.subject}{rec.ses}: {fname}")
            continue
        ch_names, fwd_subject = peek_forward(fname)
        if fwd_subject and fwd_subject.startswith("sub-") and fwd_subject != f"sub-{rec.subject}":
            raise BadInput(
                f"the forward {fname} (forward.fname) was computed for {fwd_subject}, not "
                f"sub-{rec.subject}; check the {{subject}} part of forward.fname {pattern!r}"
            )
        found = channels_by_type(channels_tsv(rec.raw_files[0]))
        if ch_names is None or found is None:
            continue
        types = [t for t in ("grad", "mag", "eeg") if t in found]
        if ch_types is not None:
            types = [t for t in types if t in ch_types or ("meg" in ch_types and t != "eeg")]
        good = [name for t in types for name, st in found[t] if st != "bad"]
        lacking = [name for name in dict.fromkeys(good) if name not in ch_names]
        if lacking:
            shown = shown_names(lacking)
            raise BadInput(
                f"the forward {fname} lacks {len(lacking)} channel(s) that sub-{rec.subject}{rec.ses} has: "
                f"{shown}; recompute the forward with this recording's sensors, or mark these channels "
                "bad in *_channels.tsv or leave their type out of preprocessing.ch_types"
            )
    if missing:
        raise BadInput(
            f"forward.source is 'precomputed' but forward.fname {pattern!r} resolves to no file for:\n"
            + "\n".join(f"  - {m}" for m in missing)
            + "\nFix forward.fname ({subject} and {session} are filled in) or compute these forwards."
        )


def forward_fname(pattern, subject, session) -> str:
    """``forward.fname`` filled in for one recording."""
    return pattern.format(subject=subject, session=session or "")


def check_freesurfer(subjects_dir, fs_subject_pattern, subjects, trans_pattern, recordings) -> None:
    """The FreeSurfer subjects (and any trans files) are there."""
    subjects_dir = Path(subjects_dir)
    if not subjects_dir.is_dir():
        raise BadInput(f"forward.subjects_dir {str(subjects_dir)!r} does not exist; set it to the FreeSurfer "
                       "subjects directory")
    missing = [fs for fs in (fs_subject_pattern.format(subject=s) for s in subjects)
               if not (subjects_dir / fs).is_dir()]
    if missing:
        have = sorted(p.name for p in subjects_dir.iterdir() if p.is_dir())
        raise BadInput(
            f"FreeSurfer subject(s) {missing} not found in forward.subjects_dir {str(subjects_dir)!r} "
            f"(forward.fs_subject {fs_subject_pattern!r}); it has: {have}"
        )
    if trans_pattern:
        absent = [str(f) for f in (Path(trans_pattern.format(subject=r.subject, session=r.session or ""))
                                   for r in recordings) if not f.is_file()]
        if absent:
            raise BadInput(f"forward.trans {trans_pattern!r} resolves to no file for: {absent}; fix the "
                           "pattern or set forward.trans: null to use the BIDS landmarks")


def group_enabled(enabled, n_subjects, common_space) -> bool:
    """Whether the group stage runs.

    ``group.enabled``, or by default (null) with at least 2 subjects whose sources have
    a common space.
    """
    if enabled is None:
        return n_subjects >= 2 and common_space is not None
    if enabled and common_space is None:
        raise BadInput(
            "group.enabled is true but the sources have no common space: with forward.source "
            "'precomputed' set forward.subjects_dir (and forward.fs_subject) to the subjects' "
            "FreeSurfer anatomy (surf/?h.sphere.reg), or set group.enabled: false"
        )
    return bool(enabled)


def check_common_space(subjects_dir, fs_subject_pattern, subjects) -> None:
    """Check every subject's ``surf/?h.sphere.reg``, and fsaverage's files.

    Those of ``<subjects_dir>/fsaverage`` when it exists (else the packaged fsaverage5
    is used).
    """
    from .stages import common_space

    files = [f for s in subjects
             for f in common_space.subject_spheres(subjects_dir, fs_subject_pattern.format(subject=s))]
    files += common_space.fsaverage_files(subjects_dir) or []
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise BadInput(
            f"{len(missing)} file(s) needed to map the sources to fsaverage are missing: "
            f"{missing[:6]}{' ...' if len(missing) > 6 else ''}. Run FreeSurfer's recon-all "
            "(it writes surf/?h.sphere.reg) for these subjects, or complete or remove "
            f"{Path(subjects_dir) / 'fsaverage'} (without it the packaged fsaverage5 is used)"
        )
