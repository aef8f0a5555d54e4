"""Send a rule script's Python and MNE log messages to the rule's log file."""
from __future__ import annotations

import contextlib
import logging


@contextlib.contextmanager
def logging_to(log_file):
    """Log INFO and up (MNE's and Python warnings included) to ``log_file`` while active.

    An exception is logged with its traceback and re-raised.

    Parameters
    ----------
    log_file : str | Path
        The Snakemake ``log:`` file.
    """
    handler = logging.FileHandler(log_file, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s: %(message)s"))
    loggers = [logging.getLogger(), logging.getLogger("mne")]  # MNE's does not propagate
    for logger in loggers:
        logger.addHandler(handler)
    logging.getLogger().setLevel(logging.INFO)
    logging.captureWarnings(True)
    try:
        yield
    except Exception:
        logging.getLogger("tfmxne").exception("Failed")
        raise
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
        handler.close()
