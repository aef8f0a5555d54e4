"""The README documents every configuration key with its default (the schema is the truth)."""

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _schema_leaves(properties):
    for key, spec in _schema_specs(properties):
        yield key, spec.get("default")


def config_table():
    """The README's configuration table, rendered from the schema (`python tests/test_readme.py`)."""
    schema = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
    lines = ["| key | default | meaning |", "|---|---|---|"]
    for key, spec in _schema_specs(schema["properties"]):
        default = spec.get("default")
        shown = default if isinstance(default, str) else json.dumps(default)
        meaning = " ".join(spec.get("description", "").split()).replace("|", "\\|")
        lines.append(f"| `{key}` | `{shown}` | {meaning} |")
    return "\n".join(lines)


def _schema_specs(properties, prefix=""):
    for key, spec in properties.items():
        if spec.get("type") == "object" and "properties" in spec:
            yield from _schema_specs(spec["properties"], f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", spec


def _readme_config_rows():
    text = (ROOT / "README.md").read_text()
    table = text.split("<!-- config-table")[1].split("<!-- /config-table -->")[0]
    rows = {}
    for line in table.splitlines():
        match = re.match(r"\| `([^`]+)` \| `(.*?)` \|", line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


def test_every_config_key_is_documented_with_its_default():
    schema = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
    rows = _readme_config_rows()
    for key, default in _schema_leaves(schema["properties"]):
        assert key in rows, (f"config key {key} is missing from the README's table; "
                             "`python tests/test_readme.py` prints the table to paste")
        shown = default if isinstance(default, str) else json.dumps(default)
        assert rows[key] == shown, f"README shows {key} default {rows[key]}, schema says {shown}"
    assert set(rows) <= {k for k, _ in _schema_leaves(schema["properties"])}, "README documents unknown keys"


def test_readme_shows_the_two_commands():
    text = (ROOT / "README.md").read_text()
    assert "make demo" in text and "make test" in text


if __name__ == "__main__":
    print(config_table())
