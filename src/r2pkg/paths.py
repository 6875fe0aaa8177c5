"""The one module that locates r2pkg's resources: ontology/, shapes/, data/, queries/.

Resolution order: an explicit directory, then ``$R2PKG_HOME``, then the copies packaged in the wheel
(``r2pkg/_resources``), then the source checkout this module lives in. Never the current directory.
Build artefacts go to ``$R2PKG_BUILD_DIR`` or a per-checkout folder under the user cache directory.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import ResourceNotFound

RESOURCE_DIRS = ("ontology", "shapes", "data", "queries")
REQUIRED_DIRS = ("ontology", "shapes", "data")  # queries/ may be empty (git keeps no empty folders)
_PACKAGED = Path(__file__).resolve().parent / "_resources"
_CHECKOUT = Path(__file__).resolve().parents[2]


def _is_root(p: Path) -> bool:
    return all((p / d).is_dir() for d in REQUIRED_DIRS)


@dataclass(frozen=True)
class Resources:
    """Absolute locations of the resource directories and of the build directory."""

    root: Path
    build_dir: Path

    @property
    def ontology(self) -> Path:
        return self.root / "ontology"

    @property
    def shapes(self) -> Path:
        return self.root / "shapes"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def queries(self) -> Path:
        return self.root / "queries"

    @property
    def sources(self) -> Path:
        return self.root / "data" / "sources"


def resource_root(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Find the directory holding ontology/, shapes/, data/ and queries/.

    Raises:
        ResourceNotFound: if no candidate holds all four directories.
    """
    candidates: list[tuple[str, Path]] = []
    if explicit:
        candidates.append(("explicit option", Path(explicit)))
    elif os.environ.get("R2PKG_HOME"):
        candidates.append(("$R2PKG_HOME", Path(os.environ["R2PKG_HOME"])))
    else:
        candidates += [("packaged resources", _PACKAGED), ("source checkout", _CHECKOUT)]
    for _, path in candidates:
        if _is_root(path.resolve()):
            return path.resolve()
    tried = ", ".join(f"{why}: {p}" for why, p in candidates)
    raise ResourceNotFound(f"no directory with {', '.join(REQUIRED_DIRS)} found (tried {tried})")


def default_build_dir(root: Path) -> Path:
    if os.environ.get("R2PKG_BUILD_DIR"):
        return Path(os.environ["R2PKG_BUILD_DIR"]).resolve()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    key = hashlib.sha1(str(root).encode()).hexdigest()[:12]
    return (cache / "r2pkg" / key).resolve()


def resources(root: str | os.PathLike[str] | None = None,
              build_dir: str | os.PathLike[str] | None = None) -> Resources:
    """Resolve the resource root and the build directory (explicit arguments win)."""
    r = resource_root(root)
    b = Path(build_dir).resolve() if build_dir else default_build_dir(r)
    return Resources(root=r, build_dir=b)
