"""Conformance checker for OpenAI-compatible video generation APIs (``/v1/videos``)."""

__version__ = "0.1.0"

# The version of the check catalogue. Bump it whenever a check is added, removed or changes
# meaning (tests/test_catalog_fingerprint.py insists): reports of different suite versions are
# not comparable without saying so.
SUITE_VERSION = "3"
