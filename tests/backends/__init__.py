"""Tests of the server stores (PostgreSQL, MySQL/MariaDB) beyond the shared contract suite."""
