"""The shared contract suite: every test runs once per store kind (see tests/conftest.py)."""
