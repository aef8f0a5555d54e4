"""Bad input: the one exception the workflow raises for it, and how a run stops on it.

Parse-time checks (:mod:`tfmxne_workflow.plan`) and rule scripts raise :class:`BadInput`
(or any ``ValueError``) with a message that names the culprit and the fix;
:func:`exit_on_bad_input` turns it into a clean exit (status 1, no traceback).
"""
from __future__ import annotations

import contextlib
import sys


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
    exception. Used around the plan (``common.smk``) and around the body of rule
    scripts (after their log has the traceback).
    """
    try:
        yield
    except ValueError as err:
        sys.exit(f"{prefix}{err}")
