"""The product solves TF-MxNE itself: no module of tfmxne/ or scripts/ imports mne.inverse_sparse."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IMPORT = re.compile(r"^\s*(from\s+mne\.inverse_sparse|import\s+mne\.inverse_sparse)|mne\.inverse_sparse\.\w+\(",
                    re.MULTILINE)


def test_product_code_does_not_call_mne_inverse_sparse():
    offenders = [str(p.relative_to(ROOT)) for folder in ("tfmxne", "scripts")
                 for p in (ROOT / folder).rglob("*.py") if IMPORT.search(p.read_text())]
    assert not offenders, f"these modules use mne.inverse_sparse: {offenders}"
