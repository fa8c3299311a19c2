"""Packages lhv: the repository's plans, payload files and fixtures go under lhv's own namespace, never top level."""

from setuptools import find_namespace_packages, setup

# repository folder → the package it is installed (and imported, also in an editable install) as
BUNDLED = {"lhv.plans": "verification", "lhv.payload_files": "payloads", "lhv.fixtures": "fixtures"}
DATA = ["*.toml", "*.json", "*.case", "*.csv", "*.jpg", "*.png", "*.j2", "*.css", "*.md"]

# each folder under a bundled one is a package of its own (lhv.fixtures.images), so that setuptools installs its
# data files as declared rather than warning that it finds them in no listed package
SUBFOLDERS = [f"{package}.{sub}" for package, folder in BUNDLED.items()
              for sub in find_namespace_packages(where=folder, exclude=["*__pycache__*"])]

setup(
    packages=[*find_namespace_packages(include=["lhv", "lhv.*"], exclude=["*.__pycache__"]), *BUNDLED, *SUBFOLDERS],
    package_dir=BUNDLED,
    package_data={"": DATA},
)
