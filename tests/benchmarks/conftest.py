"""Make the repository's ``benchmarks`` package importable for these tests.

``benchmarks/`` is not part of the installed package; the repository root is appended (not
prepended) to ``sys.path`` so an installed ``conformance`` still wins over the source tree.
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.append(_ROOT)
