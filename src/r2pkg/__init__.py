"""r2pkg: a linked-data knowledge graph of the UN General Assembly's R2P debates.

The library core (build, validate, query, provenance) knows nothing of Flask or click;
:mod:`r2pkg.cli` and :mod:`r2pkg.web` are thin adapters over it.
"""
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("r2pkg")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
