"""The networks of the modern-CNN examples, each in its own file (zoo_*.py, a NETWORKS dict each)."""

import importlib
from pathlib import Path

ZOO = {}
for _path in sorted(Path(__file__).resolve().parent.glob('zoo_*.py')):
    ZOO.update(importlib.import_module(_path.stem).NETWORKS)
