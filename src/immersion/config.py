"""Configuration: a TOML file plus ``IMMERSION_*`` environment variables.

Precedence, lowest first: built-in defaults, the TOML file (the default
``config.toml`` in the platform config directory, or a given path), then environment variables
nested with ``__`` (``IMMERSION_STORAGE__PROVIDER=postgresql``,
``IMMERSION_WRITE__BATCH_SIZE=50``).

Out-of-range numbers are not fatal: a warning names the key, the value and the accepted range,
and the default is used (ranges from the domain reference §4). A malformed file or an unknown
key is a ``ConfigError`` naming the file, the line and the key.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
import zoneinfo
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal

import platformdirs
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from .errors import ConfigError

__all__ = [
    "APP_NAME",
    "MaintenanceConfig",
    "RetentionConfig",
    "StorageConfig",
    "TrackerConfig",
    "WriteConfig",
    "default_config_path",
    "default_data_dir",
    "default_sqlite_path",
    "load_config",
]

APP_NAME = "immersion-tracker"
log = logging.getLogger("immersion.config")


def default_data_dir() -> Path:
    """Where the embedded database lives unless configured otherwise."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def default_sqlite_path() -> Path:
    return default_data_dir() / "immersion.sqlite"


class _Section(BaseModel):
    """A config table whose numbers fall back to their default when out of range."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    # field name -> (lowest accepted, highest accepted); 0 is always accepted where
    # ``_ZERO_MEANS_FOREVER`` lists the field.
    _RANGES: ClassVar[dict[str, tuple[int, int]]] = {}
    _ZERO_MEANS_FOREVER: ClassVar[frozenset[str]] = frozenset()
    _SECTION: ClassVar[str] = ""

    @model_validator(mode="before")
    @classmethod
    def _clamp_out_of_range(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        fixed = dict(data)
        for name, (low, high) in cls._RANGES.items():
            if name not in fixed:
                continue
            raw = fixed[name]
            try:
                value = int(raw)
            except (TypeError, ValueError):
                continue  # not a number: pydantic reports the type error with the key
            if isinstance(raw, float) and raw != value:
                continue
            if value == 0 and name in cls._ZERO_MEANS_FOREVER:
                continue
            if not low <= value <= high:
                default = cls.model_fields[name].default
                log.warning(
                    "config %s.%s = %s is outside the accepted range %s..%s; using the default %s",
                    cls._SECTION,
                    name,
                    raw,
                    low,
                    high,
                    default,
                )
                del fixed[name]
        return fixed


class StorageConfig(BaseModel):
    """``[storage]``: which store, and how to reach it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: str = "sqlite"
    fallback: Literal["sqlite", "none"] = "sqlite"
    # sqlite
    path: Path | None = None
    # postgresql / mysql: either a URL or the separate fields
    url: SecretStr | None = None
    host: str | None = None
    port: int | None = None
    user: str | None = None
    password: SecretStr | None = None
    database: str | None = None
    sslmode: str | None = None
    sslrootcert: str | None = None
    ssl_ca: str | None = None
    pool_size: int = Field(default=5, ge=1, le=100)
    connect_timeout_s: float = Field(default=5.0, gt=0, le=300)
    pre_ping: bool = True
    # the durable outbox that keeps writes while a server is unreachable: "auto" enables it
    # for networked stores (PostgreSQL, MySQL)
    outbox: Literal["auto", "on", "off"] = "auto"
    outbox_path: Path | None = None
    outbox_cap: int = Field(default=1_000_000, ge=1_000, le=100_000_000)
    # third-party stores may read their own options from here
    options: dict[str, Any] = Field(default_factory=dict)

    def sqlite_path(self) -> Path:
        return self.path if self.path is not None else default_sqlite_path()


class WriteConfig(_Section):
    """``[write]``: the recording pipeline's batching, queue and payload limits."""

    _RANGES = {
        "batch_size": (1, 10_000),
        "flush_interval_ms": (50, 60_000),
        "queue_cap": (100, 100_000),
        "payload_cap_bytes": (64, 8_192),
    }
    _SECTION = "write"

    batch_size: int = 25
    flush_interval_ms: int = 500
    queue_cap: int = 1000
    payload_cap_bytes: int = 256
    overflow: Literal["drop_oldest", "drop_newest"] = "drop_oldest"
    # how often the tracker snapshots a session's counters into a telemetry sample
    sample_interval_ms: int = 5_000


class MaintenanceConfig(_Section):
    """``[maintenance]``: when the worker prunes, rolls up and compacts."""

    _RANGES = {"interval_ms": (60_000, 7 * 86_400_000)}
    _SECTION = "maintenance"

    enabled: bool = True
    interval_ms: int = 86_400_000
    # compaction waits until no write has arrived for this long
    idle_before_compaction_ms: int = Field(default=60_000, ge=0)
    # an active session with no sample for this long at start-up was left by a crash
    stale_session_after_ms: int = Field(default=3_600_000, ge=0)


class RetentionConfig(_Section):
    """``[retention]``: days to keep each kind of data; ``0`` keeps it forever."""

    _RANGES = {
        "events_days": (1, 3_650),
        "telemetry_days": (1, 3_650),
        "sessions_days": (1, 3_650),
        "daily_rollups_days": (1, 36_500),
        "monthly_rollups_days": (1, 36_500),
        "vacuum_interval_days": (1, 3_650),
    }
    _ZERO_MEANS_FOREVER = frozenset(
        {
            "events_days",
            "telemetry_days",
            "sessions_days",
            "daily_rollups_days",
            "monthly_rollups_days",
        }
    )
    _SECTION = "retention"

    events_days: int = 7
    telemetry_days: int = 30
    sessions_days: int = 30
    daily_rollups_days: int = 365
    monthly_rollups_days: int = 1_825
    vacuum_interval_days: int = 7


class TrackerConfig(BaseSettings):
    """The whole configuration; the TOML file has the same structure."""

    model_config = SettingsConfigDict(
        env_prefix="IMMERSION_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    timezone: str | None = None
    storage: StorageConfig = Field(default_factory=StorageConfig)
    write: WriteConfig = Field(default_factory=WriteConfig)
    maintenance: MaintenanceConfig = Field(default_factory=MaintenanceConfig)
    retention: RetentionConfig = Field(default_factory=RetentionConfig)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment overrides the file (passed as init kwargs), which overrides defaults.
        return (env_settings, init_settings)

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                zoneinfo.ZoneInfo(value)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    def zone(self) -> zoneinfo.ZoneInfo | None:
        """The configured zone, or ``None`` for the system's local zone."""
        return zoneinfo.ZoneInfo(self.timezone) if self.timezone else None


ConfigSource = TrackerConfig | Mapping[str, Any] | str | os.PathLike[str] | None


def load_config(source: ConfigSource = None) -> TrackerConfig:
    """Build a ``TrackerConfig`` from a config, a mapping, a TOML path or ``None``.

    ``None`` uses the default file when it exists. Environment variables apply on top of the
    file or mapping. Raises ``ConfigError`` with the file, line and key of the problem.
    """
    if isinstance(source, TrackerConfig):
        return source
    if source is None:
        path = default_config_path()
        return _from_file(path) if path.exists() else _build({}, origin="environment")
    if isinstance(source, Mapping):
        return _build(dict(source), origin="configuration mapping")
    return _from_file(Path(source))


def _from_file(path: Path) -> TrackerConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: malformed TOML: {exc}") from None
    return _build(data, origin=str(path), text=text)


def _build(data: dict[str, Any], *, origin: str, text: str | None = None) -> TrackerConfig:
    try:
        return TrackerConfig(**data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, origin, text)) from None


def _describe(exc: ValidationError, origin: str, text: str | None) -> str:
    problems = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        where = origin
        line = _line_of(text, error["loc"]) if text is not None else None
        if line is not None:
            where = f"{origin}, line {line}"
        if error["type"] == "extra_forbidden":
            problems.append(f"{where}: unknown key {key!r}")
        else:
            problems.append(f"{where}: {key}: {error['msg']}")
    return "; ".join(problems)


def _line_of(text: str, loc: tuple[int | str, ...]) -> int | None:
    """Best-effort line of ``loc`` (``("write", "batch_size")``) in the TOML text."""
    names = [str(part) for part in loc if isinstance(part, str)]
    if not names:
        return None
    section, key = names[:-1], names[-1]
    current: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.fullmatch(r"\[\s*([^\]]+?)\s*\]", stripped)
        if header:
            current = [part.strip().strip('"') for part in header.group(1).split(".")]
            if current == names:
                return number
            continue
        match = re.match(r"([A-Za-z0-9_\-\".]+)\s*=", stripped)
        if match:
            dotted = [part.strip('"') for part in match.group(1).split(".")]
            full = current + dotted
            if full == [*section, key] or (current == section and dotted[-1] == key):
                return number
    return None
