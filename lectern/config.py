"""Configuration: embedded defaults, overridden by the environment, then by the test's plain dict.

Secrets come only from the environment. For a developer's `make run` with no SECRET_KEY set, a random key is made
once and kept in the instance folder, so sessions survive a restart without a secret ever living in the code.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# The UI languages, each named in its own language (the switcher, the forms and the catalogue show these names).
# Uzbek is written in the Latin script; Kazakh, Kyrgyz and Tajik in Cyrillic.
LANGUAGES = {
    "en": "English",
    "ru": "Русский",
    "lv": "Latviešu",
    "kk": "Қазақша",
    "ky": "Кыргызча",
    "tg": "Тоҷикӣ",
    "uz": "O‘zbekcha",
}


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(instance_path: Path, production: bool) -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if production:
        raise RuntimeError("SECRET_KEY must be set in the environment when LECTERN_ENV=production")
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Create the file readable by its owner only before the key is written into it.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    log.warning("SECRET_KEY not set: generated a development key in %s", key_file)
    return key


def load(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the configuration mapping for an application whose instance folder is `instance_path`."""
    overrides = dict(overrides or {})
    env = os.environ
    production = env.get("LECTERN_ENV", "development") == "production"
    redis_url = overrides.get("REDIS_URL", env.get("REDIS_URL") or None)
    config: dict[str, Any] = {
        "LECTERN_ENV": "production" if production else "development",
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'lectern.db'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": redis_url,
        "LECTERN_STORAGE": env.get("LECTERN_STORAGE") or str(instance_path / "storage"),
        "MAX_CONTENT_LENGTH": int(env.get("LECTERN_MAX_UPLOAD_MB", "512")) * 1024 * 1024,
        # Form fields that are not files: Werkzeug's default of 500 kB is too small for the users import, whose
        # preview sends the checked file (up to 2 MB) back in a field, base64-encoded, for the apply.
        "MAX_FORM_MEMORY_SIZE": 4 * 1024 * 1024,
        # Sessions and remember-me cookies: not readable by scripts, not sent cross-site, HTTPS-only in production.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _env_bool("LECTERN_SECURE_COOKIES", production),
        "SESSION_COOKIE_NAME": "lectern_session",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _env_bool("LECTERN_SECURE_COOKIES", production),
        "REMEMBER_COOKIE_DURATION": 14 * 24 * 3600,
        "REMEMBER_COOKIE_NAME": "lectern_remember",
        "PERMANENT_SESSION_LIFETIME": 12 * 3600,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session; a long lecture must not expire it
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "LANGUAGES": LANGUAGES,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # Failed sign-ins (platform/auth.py): per username and address; per username from browsers it has never
        # signed in from, across all addresses.
        "LECTERN_LOGIN_RATE_LIMIT": env.get("LECTERN_LOGIN_RATE_LIMIT", "10 per minute"),
        "LECTERN_LOGIN_USER_RATE_LIMIT": env.get("LECTERN_LOGIN_USER_RATE_LIMIT", "50 per hour"),
        "LECTERN_PROXIES": int(env.get("LECTERN_PROXIES", "0")),
        # How many HTTP requests of a web process run their Python at once (lectern/gate.py); 0: no limit.
        "LECTERN_REQUEST_SLOTS": int(env.get("LECTERN_REQUEST_SLOTS", "1")),
        # Course packages: caps against zip bombs (total unpacked size, members, compression ratio per member).
        "LECTERN_PACKAGE_MAX_BYTES": int(env.get("LECTERN_PACKAGE_MAX_MB", "2048")) * 1024 * 1024,
        "LECTERN_PACKAGE_MAX_MEMBERS": 5000,
        "LECTERN_PACKAGE_MAX_RATIO": 200,
        # Background jobs (lectern/platform/jobs/): Huey's queue, SQLite in the instance folder unless REDIS_URL
        # (or this) names Redis; its name there. Immediate: each job runs inside the commit that asks for it (unit
        # tests), with no worker. A running job's worker stamps its row every HEARTBEAT_S seconds; a job whose
        # worker on another host has not for STALE_S seconds is taken as interrupted (resumed, or failed).
        "LECTERN_JOBS_URL": env.get("LECTERN_JOBS_URL") or redis_url or f"sqlite:///{instance_path / 'jobs.db'}",
        "LECTERN_JOBS_QUEUE": env.get("LECTERN_JOBS_QUEUE", "lectern"),
        "LECTERN_JOBS_IMMEDIATE": _env_bool("LECTERN_JOBS_IMMEDIATE", False),
        "LECTERN_JOBS_HEARTBEAT_S": float(env.get("LECTERN_JOBS_HEARTBEAT_S", "10")),
        "LECTERN_JOBS_STALE_S": float(env.get("LECTERN_JOBS_STALE_S", "120")),
        # Live lectures. ICE servers for browsers and the relay, as JSON: [{"urls": "turn:turn.example.org:3478",
        # "username": "...", "credential": "..."}]. None by default: on one network, host candidates suffice.
        "LECTERN_ICE_SERVERS": env.get("LECTERN_ICE_SERVERS", "[]"),
        # Lectern's coturn (deploy/coturn/): its URLs, comma-separated (turn:turn.example.org:3478?transport=udp,
        # turn:turn.example.org:3478?transport=tcp,turns:turn.example.org:443?transport=tcp), and the secret it
        # shares with Lectern (coturn's static-auth-secret). Each join mints credentials valid for LECTERN_TURN_TTL
        # seconds: longer than the longest lecture, since a browser keeps the credential of its connection.
        "LECTERN_TURN_URLS": env.get("LECTERN_TURN_URLS", ""),
        "LECTERN_TURN_SECRET": env.get("LECTERN_TURN_SECRET") or None,
        "LECTERN_TURN_TTL": int(env.get("LECTERN_TURN_TTL", str(6 * 3600))),
        # "all", or "relay": browsers use TURN only (academies behind firewalls that let nothing else through).
        "LECTERN_ICE_TRANSPORT_POLICY": env.get("LECTERN_ICE_TRANSPORT_POLICY", "all"),
        # The relay's own peer connections use the TURN servers too: only for a relay that sits behind NAT.
        "LECTERN_RELAY_TURN": _env_bool("LECTERN_RELAY_TURN", False),
        # A relay process of its own (`flask lectern relay`), as http://host:port; unset: the relay runs inside the
        # web process (tests). The secret signs every request between them (lectern/webrtc/relay/wire.py).
        "LECTERN_RELAYS": env.get("LECTERN_RELAYS", ""),
        "LECTERN_RELAY_SECRET": env.get("LECTERN_RELAY_SECRET") or None,
        # LECTERN_RELAYS=registry: the relays beat in Redis (REDIS_URL) and each lecture is placed on one of them
        # (lectern/webrtc/relay/registry.py). A relay process says there where it is reached, its region and the
        # peers it takes; a web instance asks for relays in its region first.
        "LECTERN_RELAY_REGISTRY_KEY": env.get("LECTERN_RELAY_REGISTRY_KEY", "lectern:relays"),
        # With REDIS_URL, the lecture rooms' participants as every web instance sees them, under this prefix
        # (lectern/webrtc/room/directory.py).
        "LECTERN_ROOM_KEY": env.get("LECTERN_ROOM_KEY", "lectern:rooms"),
        "LECTERN_RELAY_URL": env.get("LECTERN_RELAY_URL", ""),
        "LECTERN_RELAY_REGION": env.get("LECTERN_RELAY_REGION", ""),
        # The relay region of each academy's participants: its country code in lower case (a relay process in
        # Bishkek says LECTERN_RELAY_REGION=kg), unless named here: "TJ=kg,UZ=kz" or by academy slug, "rezekne=lv".
        "LECTERN_RELAY_REGIONS": env.get("LECTERN_RELAY_REGIONS", ""),
        "LECTERN_RELAY_CAPACITY": int(env.get("LECTERN_RELAY_CAPACITY", "300")),
        # Relay host candidates on 127.0.0.1 only: tests and benchmarks on one machine.
        "LECTERN_RELAY_LOOPBACK": _env_bool("LECTERN_RELAY_LOOPBACK", False),
        # Each cadet gets the version of the video their link carries (relay/adapt.py); off: everyone the best one.
        "LECTERN_RELAY_ADAPT": _env_bool("LECTERN_RELAY_ADAPT", True),
        # Slides in a lecture room (webrtc/slides/): the largest PDF and the most pages accepted. Every page is
        # rendered when the deck is first shown, about a fifth of a second each.
        "LECTERN_SLIDES_MAX_BYTES": int(env.get("LECTERN_SLIDES_MAX_MB", "50")) * 1024 * 1024,
        "LECTERN_SLIDES_MAX_PAGES": int(env.get("LECTERN_SLIDES_MAX_PAGES", "200")),
        # What each academy's lecture recordings may take on disk (webrtc/recordings/); 0: no quota.
        "LECTERN_RECORDING_QUOTA_MB": int(env.get("LECTERN_RECORDING_QUOTA_MB", "20000")),
    }
    config.update(overrides)
    if "SECRET_KEY" not in config:
        config["SECRET_KEY"] = _secret_key(instance_path, production)
    return config
