"""Packages lhv: the repository's plans, payload files and fixtures go under lhv's own namespace, never top level."""

from setuptools import find_namespace_packages, setup

# repository folder → the package it is installed (and imported, also in an editable install) as
BUNDLED = {"lhv.plans": "verification", "lhv.payload_files": "payloads", "lhv.fixtures": "fixtures"}
DATA = ["*.toml", "*.json", "*.case", "*.csv", "*.jpg", "*.png", "*.j2", "*.css", "*.md"]

setup(
    packages=[*find_namespace_packages(include=["lhv", "lhv.*"], exclude=["*.__pycache__"]), *BUNDLED],
    package_dir=BUNDLED,
    package_data={"": DATA, "lhv.payload_files": [f"**/{pattern}" for pattern in DATA],
                  "lhv.fixtures": [f"**/{pattern}" for pattern in DATA]},
)
