"""The README is a short front door; docs/ holds the reference, its config table made from the schema.

``python tests/workflow/test_docs.py --write`` regenerates the table in docs/configuration.md
(``python tests/workflow/test_docs.py`` prints it).
"""

import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
CONFIG_PAGE = ROOT / "docs" / "configuration.md"
DEMO_CONFIG = ROOT / "workflow" / "demo" / "config.yaml"
README_MAX_BYTES = 8 * 1024
BEGIN, END = "<!-- config-table", "<!-- /config-table -->"


def _schema_specs(properties, prefix=""):
    """(dotted key, spec) of every leaf of the schema, in its order."""
    for key, spec in properties.items():
        if spec.get("type") == "object" and "properties" in spec:
            yield from _schema_specs(spec["properties"], f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", spec


def _shown(default):
    return default if isinstance(default, str) else json.dumps(default)


def config_table():
    """The configuration table, rendered from the schema."""
    schema = yaml.safe_load(SCHEMA.read_text())
    lines = ["| key | default | meaning |", "|---|---|---|"]
    for key, spec in _schema_specs(schema["properties"]):
        meaning = " ".join(spec.get("description", "").split()).replace("|", "\\|")
        default = f"`{_shown(spec['default'])}`" if "default" in spec else "required"
        lines.append(f"| `{key}` | {default} | {meaning} |")
    return "\n".join(lines)


def _page_table(text):
    """The table between the markers of docs/configuration.md (without the markers' lines)."""
    inner = text.split(BEGIN, 1)[1].split(END, 1)[0]
    return inner.split("\n", 1)[1].strip("\n")


def write_config_table():
    text = CONFIG_PAGE.read_text()
    CONFIG_PAGE.write_text(text.replace(_page_table(text), config_table()))


def test_the_configuration_page_is_the_schema():
    assert _page_table(CONFIG_PAGE.read_text()) == config_table(), (
        "docs/configuration.md is out of date with workflow/schemas/config.schema.yaml; "
        "run `python tests/workflow/test_docs.py --write`")


def _leaves(config, prefix=""):
    """(dotted key, value) of every leaf of a configuration."""
    for key, value in config.items():
        if isinstance(value, dict):
            yield from _leaves(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def test_the_config_files_hold_no_copy_of_a_default():
    """config.yaml (the user's start) sets the required keys only; the demo's, what differs."""
    schema = yaml.safe_load(SCHEMA.read_text())
    assert list(yaml.safe_load((ROOT / "config.yaml").read_text())) == schema["required"]
    specs = dict(_schema_specs(schema["properties"]))
    for key, value in _leaves(yaml.safe_load(DEMO_CONFIG.read_text())):
        assert value != specs[key].get("default"), (
            f"{DEMO_CONFIG.relative_to(ROOT)} sets {key} to the schema default; the schema is its one source")


def test_readme_is_a_front_door():
    text = (ROOT / "README.md").read_text()
    size = len(text.encode())
    assert size <= README_MAX_BYTES, f"README.md is {size} bytes; move detail to docs/"
    for needle in ("make demo", "make test", "my.yaml", "--profile workflow/profiles/slurm",
                   "derivatives/tfmxne"):
        assert needle in text, needle


def test_every_docs_page_is_linked_and_every_link_resolves():
    readme = (ROOT / "README.md").read_text()
    pages = sorted((ROOT / "docs").glob("*.md"))
    assert len(pages) >= 8
    for page in pages:
        assert f"(docs/{page.name})" in readme, f"README.md does not link docs/{page.name}"
    for source in [ROOT / "README.md", *pages]:
        for target in re.findall(r"\]\(([^)#]+\.md)(?:#[^)]*)?\)", source.read_text()):
            assert (source.parent / target).is_file(), f"{source.name} links to missing {target}"


if __name__ == "__main__":
    if "--write" in sys.argv:
        write_config_table()
    else:
        print(config_table())
