"""Benchmarks of the checker and the reference provider (``nox -s bench``; see README.md).

Run with ``python -m benchmarks [--quick]`` from the repository root; results go to
``benchmarks/RESULTS.md``. Nothing here is imported by the package or by its tests, except the
pure statistics and formatting helpers, which have unit tests in ``tests/benchmarks/``.
"""
