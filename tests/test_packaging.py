"""Packaging: the version programs read, the typing marker, the license and the metadata."""

import importlib.metadata
import tomllib
from pathlib import Path

import jax
import pytest

import tensorish

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_version_is_the_installed_one():
    assert tensorish.__version__ == importlib.metadata.version("tensorish")
    assert tensorish.__version__ == PYPROJECT["project"]["version"]
    assert tensorish.version.__version__ == tensorish.__version__


@pytest.mark.skipif(jax.default_backend() == "gpu", reason="CPU-only answer")
def test_cuda_version_is_none_on_cpu():
    assert tensorish.version.cuda is None and tensorish.version.hip is None


def test_config_show():
    text = tensorish.__config__.show()
    assert f"tensorish {tensorish.__version__}" in text and f"JAX {jax.__version__}" in text
    assert f"Backend: {jax.default_backend()}" in text


def test_typed_marker_is_package_data():
    assert (ROOT / "tensorish" / "py.typed").is_file()
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["tensorish"]


def test_license_and_metadata():
    project = PYPROJECT["project"]
    assert project["license"] == "Apache-2.0"
    assert (ROOT / "LICENSE").read_text().split()[:4] == ["Apache", "License", "Version", "2.0,"]
    assert project["authors"] and project["keywords"]
    assert "Typing :: Typed" in project["classifiers"]
    # The main job needs no test tools; the examples' extras are an extra of their own.
    needs = {d.split("=")[0].split(">")[0] for d in project["dependencies"]}
    assert not {"torch", "pytest", "hypothesis", "optax"} & needs
    assert set(project["optional-dependencies"]["examples"]) <= set(
        project["optional-dependencies"]["test"]
    )
