"""The configuration: the user's file checked against the schema, defaults filled in.

:func:`resolve` is the only place the schema is evaluated: deprecated keys are renamed
(with a message naming the new key), unknown keys, wrong types and values, and rules
across keys (time windows, STFT sizes) and the required keys left unset are reported
together, then the schema's defaults are filled in. Every problem is a :class:`~tfmxne_workflow.errors.BadInput`
naming the key, the value and what is allowed.
"""
from __future__ import annotations

import copy
import difflib
from pathlib import Path

import yaml

from ..errors import BadInput

#: Where the meaning of every key is written down (said in config error messages).
KEYS_DOC = "workflow/schemas/config.schema.yaml (table: docs/configuration.md)"
#: The schema, beside the workflow's rules (the Snakemake convention).
SCHEMA = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"
#: Renamed sections: old name -> new name (the old one is still read, with a message).
RENAMED = {"prior": "dspm"}


def resolve(config: dict, schema=SCHEMA) -> tuple[dict, list[str]]:
    """The configuration with deprecated keys renamed and defaults filled in.

    Parameters
    ----------
    config : dict
        The configuration as given (not changed).
    schema : dict | str | Path
        The schema or its path.

    Returns
    -------
    config : dict
        A new, complete configuration.
    notes : list of str
        One deprecation message per renamed key that was used.

    Raises
    ------
    BadInput
        Listing every problem found, each with the key, the value and what is allowed.
    """
    config, notes = renamed(config)
    schema = schema if isinstance(schema, dict) else load_schema(schema)
    check_config(config, schema)
    return with_defaults(config, schema), notes


def renamed(config: dict) -> tuple[dict, list[str]]:
    """A copy of ``config`` with the sections of :data:`RENAMED` under their new names.

    A value under the old name wins over the same key under the new one (the old name
    can only come from the user's file).
    """
    if not isinstance(config, dict):
        return config, []
    config, notes = copy.deepcopy(config), []
    for old, new in RENAMED.items():
        if old not in config:
            continue
        value = config.pop(old)
        if isinstance(value, dict) and isinstance(config.get(new), dict):
            value = {**config[new], **value}
        config[new] = value
        notes.append(f"the configuration section '{old}' is now called '{new}'; "
                     f"rename it in your --configfile ('{old}' is read as '{new}' for now)")
    return config, notes


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
    problems = missing_keys(config, schema) + problems
    if problems:
        raise BadInput(_config_message(problems))


def _config_message(problems) -> str:
    lines = "\n".join(f"  - {p}" for p in problems)
    what = "a problem" if len(problems) == 1 else f"{len(problems)} problems"
    return (
        f"the configuration has {what}:\n{lines}\n"
        f"Fix it in your --configfile (start from a copy of config.yaml); every key is "
        f"described in {KEYS_DOC}."
    )


def missing_keys(config, schema) -> list:
    """The required keys (they have no default) that ``config`` leaves out, each described."""
    if not isinstance(config, dict):
        return []
    return [f"{key} is required (it has no default): {' '.join(schema['properties'][key]['description'].split())}"
            for key in schema.get("required", []) if key not in config]


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


#: Optional format checkers of jsonschema that the schema (no ``format`` keyword) never uses:
#: ``rfc3987_syntax`` builds a parser at import, 2.7 s of every Snakemake start on 2 cores; the
#: others (``isoduration`` and ``arrow`` first) add ~0.3 s.
_UNUSED_FORMAT_MODULES = ("rfc3987_syntax", "rfc3987", "rfc3986_validator", "rfc3339_validator", "isoduration",
                          "uri_template", "jsonpointer", "webcolors", "idna", "fqdn")


def _validator():
    """jsonschema's Draft 2020-12 validator, imported without :data:`_UNUSED_FORMAT_MODULES`.

    jsonschema imports each format checker's module if it can (``suppress(ImportError)``):
    a ``None`` entry in ``sys.modules`` makes that import fail, for the import only.
    """
    import sys

    blocked = [name for name in _UNUSED_FORMAT_MODULES if name not in sys.modules]
    sys.modules.update(dict.fromkeys(blocked))
    try:
        from jsonschema import Draft202012Validator
    finally:
        for name in blocked:
            del sys.modules[name]
    return Draft202012Validator


def _suggest(key, known, where) -> str:
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    section = f"of {where[:-1]}" if where else "at the top level"
    return f"the keys {section} are: {', '.join(known)}"


def schema_errors(config, schema) -> list:
    """Type and range errors, one per key: ``key = value is not allowed; expected ...``."""
    seen, problems = set(), []
    errors = sorted(_validator()(schema).iter_errors(config), key=lambda e: list(map(str, e.path)))
    for error in errors:
        if error.validator == "required":
            continue  # missing_keys
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
    if cov["source"] == "file" and not cov["fname"]:
        problems.append("noise_cov.source is 'file' but noise_cov.fname is not set; give the -cov.fif path "
                        "pattern, e.g. /data/cov/sub-{subject}-cov.fif")
    problems += _evoked_input_errors(config)
    if cov["source"] == "file" and config["input"]["source"] == "mne-bids-pipeline":
        problems.append("noise_cov.source 'file' is not read with input.source 'mne-bids-pipeline' (its own "
                        "covariance is used); remove noise_cov.source")
    if prep["l_freq"] is not None and prep["h_freq"] is not None and prep["l_freq"] >= prep["h_freq"]:
        problems.append(f"preprocessing.l_freq ({prep['l_freq']:g} Hz) must be below preprocessing.h_freq ({prep['h_freq']:g} Hz)")

    spec = config["sources_table"]
    if spec["fmin"] + 2 > spec["fmax"]:
        problems.append(f"sources_table.fmin ({spec['fmin']:g} Hz) must be at least 2 Hz below "
                        f"sources_table.fmax ({spec['fmax']:g} Hz): the analysis needs 3 frequencies")
    if fwd["source"] == "precomputed" and not fwd["fname"]:
        problems.append("forward.source is 'precomputed' but forward.fname is not set; give the -fwd.fif path "
                        "pattern, e.g. /data/fwd/sub-{subject}-fwd.fif")
    if fwd["source"] == "freesurfer" and not fwd["subjects_dir"]:
        problems.append("forward.source is 'freesurfer' but forward.subjects_dir is not set; give the FreeSurfer "
                        "subjects directory")
    return problems


def _evoked_input_errors(config) -> list:
    """What ``input.source: evoked`` needs: no BIDS dataset lists the subjects or holds the noise."""
    pattern = config["input"]["evoked"]
    if config["input"]["source"] != "evoked":
        return []
    if not pattern:
        return ["input.source is 'evoked' but input.evoked is not set; give the -ave.fif path pattern, "
                "e.g. /data/sub-{subject}/sub-{subject}-ave.fif"]
    problems = []
    if config["subjects"] == "all":
        problems.append("subjects: all cannot be listed with input.source 'evoked' (there is no BIDS dataset to "
                        "list them from); set subjects to the labels filled into {subject} of input.evoked, "
                        "e.g. subjects: ['01', '02']")
    if "{session}" in pattern and config["sessions"] == "all":
        problems.append(f"sessions: all cannot be listed with input.source 'evoked' and input.evoked {pattern!r}; "
                        "set sessions to the labels filled into its {session}, e.g. sessions: ['01']")
    if config["noise_cov"]["source"] != "file":
        problems.append(f"noise_cov.source '{config['noise_cov']['source']}' needs raw data but input.source is "
                        "'evoked'; set noise_cov.source: file and noise_cov.fname to your -cov.fif path pattern")
    fwd = config["forward"]
    if fwd["source"] == "freesurfer" and not fwd["trans"]:
        problems.append("forward.source 'freesurfer' with input.source 'evoked' needs forward.trans (there are no "
                        "BIDS landmarks to compute it from); give the -trans.fif path pattern")
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
