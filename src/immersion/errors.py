"""The exceptions immersion-tracker raises, all in one tree.

::

    ImmersionError
    ├── ConfigError                  bad configuration file, key, value or provider
    │   ├── UnknownProviderError     storage.provider names no registered store
    │   └── MissingDriverError       the provider's database driver is not installed
    └── StoreError                   anything a store failed to do
        ├── TransientStoreError      may succeed if retried: locked, busy, connection lost
        │   └── StoreUnavailableError  the server cannot be reached or refused us
        └── PermanentStoreError      retrying the same call fails the same way
            ├── StoreIntegrityError  a write violates the data model (unknown session, ...)
            └── SchemaError          the schema cannot be used
                └── SchemaTooNewError  the database was written by a newer version

Stores translate driver exceptions into this tree at one boundary
(``immersion.stores.sql.errors.translate_errors``), keeping the original as ``__cause__``.
The recording API (``Tracker.record_*``) never raises any of them: failures there become
diagnostics.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "ImmersionError",
    "MissingDriverError",
    "PermanentStoreError",
    "SchemaError",
    "SchemaTooNewError",
    "StoreError",
    "StoreIntegrityError",
    "StoreUnavailableError",
    "TransientStoreError",
    "UnknownProviderError",
]


class ImmersionError(Exception):
    """Base of every exception raised by immersion-tracker."""


class ConfigError(ImmersionError):
    """The configuration cannot be used as given."""


class UnknownProviderError(ConfigError):
    """``storage.provider`` names no registered store."""


class MissingDriverError(ConfigError):
    """The selected provider's driver is not installed; the message names the extra."""


class StoreError(ImmersionError):
    """A store operation failed."""


class TransientStoreError(StoreError):
    """The operation may succeed if retried later (database locked, connection lost)."""


class StoreUnavailableError(TransientStoreError):
    """The database server cannot be reached, or refused the connection."""


class PermanentStoreError(StoreError):
    """Retrying the same operation with the same data fails the same way."""


class StoreIntegrityError(PermanentStoreError):
    """A write violates the data model, e.g. it names a session that does not exist."""


class SchemaError(PermanentStoreError):
    """The database schema cannot be used by this version."""


class SchemaTooNewError(SchemaError):
    """The database was migrated by a newer immersion-tracker than this one."""
