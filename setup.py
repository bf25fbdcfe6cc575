# The package is described in pyproject.toml. This file exists for `scrapyd-deploy`, which
# builds its egg with `python setup.py bdist_egg` (and would otherwise write a setup.py of
# its own that leaves out the site profiles and the settings entry point).
from setuptools import setup

setup()
