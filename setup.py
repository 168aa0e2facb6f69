"""For scrapyd-deploy only: it builds the Scrapyd egg with `python setup.py bdist_egg`.

Everything is configured in pyproject.toml; `pip install` and `python -m build` do not need
this file. `presswatch deploy` builds the same egg without it (presswatch/deploy.py).
"""

from setuptools import setup

setup()
