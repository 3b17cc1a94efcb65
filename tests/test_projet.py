"""The project's own promises: README tree, dependencies in step, notebooks without outputs."""

import json
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(req: str) -> str:
    return re.split(r"[<>=!\[ ]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_the_runtime_dependencies_of_pyproject():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    conda |= {_name(d) for d in pip if not d.startswith("-")}  # PyPI-only packages
    assert conda == {_name(d) for d in deps}


def readme_tree_paths() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Arborescence", 1)[1].split("```", 2)[1]
    paths, stack = [], []
    for line in block.splitlines():
        if "<-" not in line:
            continue
        m = re.match(r"^((?:│   |    )*)(?:├── |└── )(\S+)", line)
        assert m, f"ligne d'arborescence illisible : {line!r}"
        depth = len(m.group(1)) // 4
        name = m.group(2).rstrip("/")
        stack = stack[:depth] + [name]
        paths.append("/".join(stack))
    return paths


def test_every_module_is_in_the_readme_tree():
    """The tree is true both ways: each module of the library, or its folder, is listed."""
    paths = set(readme_tree_paths())
    missing = []
    for p in sorted((ROOT / "rencontres_lib").rglob("*.py")):
        rel = p.relative_to(ROOT)
        if p.name == "__init__.py" or "__pycache__" in rel.parts:
            continue
        folder = rel.parent.as_posix()
        if rel.as_posix() not in paths and (folder == "rencontres_lib" or folder not in paths):
            missing.append(rel.as_posix())
    assert missing == []


def test_readme_tree_names_only_paths_that_exist():
    paths = readme_tree_paths()
    assert len(paths) > 20
    generated = {"build", "prive"}  # created by the first build, git-ignored
    missing = [p for p in paths if p not in generated and not (ROOT / p).exists()]
    assert missing == []


def test_committed_notebooks_have_no_outputs_and_are_paired():
    for nb_path in (ROOT / "notebooks").glob("*.ipynb"):
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code"), nb_path
        assert nb_path.with_suffix(".py").exists()
        assert "py:percent" in nb["metadata"]["jupytext"]["formats"]
        tags = [c.get("metadata", {}).get("tags", []) for c in nb["cells"]]
        assert any("parameters" in t for t in tags), (
            f"{nb_path.name} : pas de cellule « parameters »"
        )
