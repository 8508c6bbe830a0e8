"""immersion-tracker: record language-learning immersion and read it back.

Start with ``open_tracker``; ``immersion.testing.ManualClock`` drives time in tests.
"""

from __future__ import annotations

from . import errors
from .composition import open_tracker
from .config import TrackerConfig, load_config
from .diagnostics import Diagnostics
from .domain import EventType
from .errors import (
    ConfigError,
    ImmersionError,
    PermanentStoreError,
    SchemaTooNewError,
    StoreError,
    StoreIntegrityError,
    TransientStoreError,
)
from .store import ImmersionTrackingStore
from .tracker import ActiveSession, Tracker

__all__ = [
    "ActiveSession",
    "ConfigError",
    "Diagnostics",
    "EventType",
    "ImmersionError",
    "ImmersionTrackingStore",
    "PermanentStoreError",
    "SchemaTooNewError",
    "StoreError",
    "StoreIntegrityError",
    "Tracker",
    "TrackerConfig",
    "TransientStoreError",
    "errors",
    "load_config",
    "open_tracker",
]
