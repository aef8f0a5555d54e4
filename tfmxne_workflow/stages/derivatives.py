"""BIDS derivatives metadata."""
from __future__ import annotations

import json
from pathlib import Path

import mne
import mne_bids

import tfmxne


def dataset_description(raw_description) -> dict:
    """``dataset_description.json`` content of the derivatives (BIDS 1.9, GeneratedBy).

    Parameters
    ----------
    raw_description : str | Path | None
        ``dataset_description.json`` of the raw dataset, recorded as the source (None:
        evoked input, no raw dataset).
    """
    raw_name = ""
    if raw_description is not None:
        raw_description = Path(raw_description)
        raw_name = json.loads(raw_description.read_text(encoding="utf-8")).get("Name", "")
    description = {
        "Name": f"TF-MxNE source estimates{' of ' + raw_name if raw_name else ''}",
        "BIDSVersion": "1.9.0",
        "DatasetType": "derivative",
        "GeneratedBy": [
            {"Name": "tfmxne", "Version": tfmxne.__version__,
             "Description": "Snakemake workflow: BIDS ingestion, dSPM prior, TF-MxNE, report"},
            {"Name": "MNE-Python", "Version": mne.__version__},
            {"Name": "MNE-BIDS", "Version": mne_bids.__version__},
        ],
    }
    if raw_description is not None:
        description["SourceDatasets"] = [{"URL": raw_description.parent.resolve().as_uri()}]
    return description
