"""Put the work tree root (the parent of this folder) on sys.path."""

import sys
from pathlib import Path

WORK_TREE = str(Path(__file__).resolve().parent.parent)
if WORK_TREE not in sys.path:
    sys.path.insert(0, WORK_TREE)
