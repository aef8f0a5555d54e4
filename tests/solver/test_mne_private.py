"""Private MNE names: all in tfmxne/_mne_private.py, each importable and explained."""

import ast
import io
import tokenize

from conftest import REPO

from tfmxne import _mne_private

PRIVATE_MODULE = REPO / "tfmxne" / "_mne_private.py"


def _project_files():
    for package in ("tfmxne", "tfmxne_workflow", "tfmxne_simulation", "scripts"):
        for path in sorted((REPO / package).rglob("*.py")):
            if path != PRIVATE_MODULE:
                yield path


def _private_uses(tree):
    """(line, what) of each private MNE module, name or ``Info._unlock`` a module uses."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "mne":
            if any(part.startswith("_") for part in node.module.split(".")):
                yield node.lineno, f"from {node.module} import ..."
            for alias in node.names:
                if alias.name.startswith("_"):
                    yield node.lineno, f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "mne" and "._" in alias.name:
                    yield node.lineno, alias.name
        elif isinstance(node, ast.Attribute) and node.attr == "_unlock":
            yield node.lineno, "Info._unlock"


def test_every_name_imports_from_the_installed_mne():
    """What a new MNE release breaks fails here, by name, not deep inside a job."""
    for name in _mne_private.__all__:
        assert getattr(_mne_private, name) is not None, name


def test_no_other_module_uses_private_mne_api():
    found = [f"{path.relative_to(REPO)}:{line}: {what}"
             for path in _project_files()
             for line, what in _private_uses(ast.parse(path.read_text(encoding="utf-8")))]
    assert not found, "use tfmxne._mne_private instead:\n" + "\n".join(found)


def test_the_check_sees_private_uses():
    code = ("from mne._fiff.proj import make_projector\nfrom mne.utils import _check_option\n"
            "with info._unlock():\n    pass\n")
    assert [what for _, what in _private_uses(ast.parse(code))] == [
        "from mne._fiff.proj import ...", "mne.utils._check_option", "Info._unlock"]


def test_each_private_import_says_why():
    """Every import line and lazy entry of the module carries a comment."""
    source = PRIVATE_MODULE.read_text()
    comments = {tok.start[0] for tok in tokenize.generate_tokens(io.StringIO(source).readline)
                if tok.type == tokenize.COMMENT}
    tree = ast.parse(source)
    imports = [node for node in tree.body if isinstance(node, ast.ImportFrom) and node.module.startswith("mne")]
    assert len(imports) >= 15
    for node in imports:
        assert node.lineno in comments, f"line {node.lineno}: import without a why"
    lazy = next(node.value for node in tree.body
                if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "LAZY")
    for key in lazy.keys:
        assert key.lineno in comments, f"LAZY[{key.value!r}] without a why"
    assert set(_mne_private.__all__) >= set(_mne_private.LAZY)
    assert _mne_private.unlocked.__doc__
