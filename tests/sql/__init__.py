"""Tests of the SQL storage layer and the embedded SQLite store (beyond the contract suite)."""
