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
        lines.append(f"| `{key}` | `{_shown(spec.get('default'))}` | {meaning} |")
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


def test_config_yaml_holds_values_not_copies_of_the_descriptions():
    """The schema describes each key; config.yaml comments only values that differ from its default."""
    schema = yaml.safe_load(SCHEMA.read_text())
    defaults = {key: spec.get("default") for key, spec in _schema_specs(schema["properties"])}
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    section = None
    for line in (ROOT / "config.yaml").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = re.match(r"^(\s*)(\w+):", line)
        assert match, line
        if not match.group(1):
            section = match.group(2)
            key, value = section, config[section]
        else:
            key, value = f"{section}.{match.group(2)}", config[section][match.group(2)]
        if "#" in line.split(":", 1)[1].replace("'#", ""):
            assert key in defaults and value != defaults[key], (
                f"config.yaml comments {key}, whose value is the schema default: the schema's "
                "description is the one source; remove the comment")


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
