"""Settings from environment variables, with embedded defaults for a single machine.

Development (the default) needs nothing: SQLite and a generated secret key live in the instance
folder. Production (``DATAMARKET_ENV=production``) refuses to start without an explicit secret key
and database URL, so a deployment never runs on a throwaway key or a local file by accident.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any


class ConfigurationError(RuntimeError):
    """Raised at start-up when the settings cannot give a working, safe app."""


def _secret_key_from_instance(instance_path: Path) -> str:
    """Return the secret key kept in the instance folder, creating it once."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(48)
    # Created with 0600 so other local users cannot read it.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _env_bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# The local stand-in for Stripe that `make run` and the tests start (DESIGN.md §3, Payments).
LOCALSTRIPE_DEFAULTS = {
    "STRIPE_SECRET_KEY": "sk_test_localstripe",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_localstripe",
    "STRIPE_WEBHOOK_SECRET": "whsec_localstripe",
    "STRIPE_API_BASE": "http://127.0.0.1:8420",
}


def _stripe_settings(env, production: bool) -> dict[str, str]:
    """Stripe settings: localstripe's by default; production needs real keys and real Stripe.

    In production ``STRIPE_API_BASE`` defaults to real Stripe (empty), so real keys are never
    sent to a local stand-in by omission.
    """
    keys = ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET")
    if production:
        unsafe = [name for name in keys if env.get(name, "") in ("", LOCALSTRIPE_DEFAULTS[name])]
        if unsafe:
            raise ConfigurationError(
                "Production mode needs " + " and ".join(unsafe) + " set to your Stripe "
                "account's keys; refusing to start with the localstripe defaults."
            )
    settings = {name: env.get(name) or LOCALSTRIPE_DEFAULTS[name] for name in keys}
    settings["STRIPE_API_BASE"] = env.get(
        "STRIPE_API_BASE", "" if production else LOCALSTRIPE_DEFAULTS["STRIPE_API_BASE"]
    ).strip()
    settings["PAYMENTS_CURRENCY"] = env.get("PAYMENTS_CURRENCY", "cny").strip().lower()
    # Put in the metadata of every Stripe object we create, so that events about objects of
    # another app on the same Stripe account are ignored.
    settings["STRIPE_INSTANCE_TAG"] = env.get("STRIPE_INSTANCE_TAG", "datamarket").strip()
    return settings


def load_settings(instance_path: Path, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask config mapping from environment variables.

    :param instance_path: the app's instance folder (created if missing).
    :param environ: the variables to read; ``os.environ`` when not given.
    :raises ConfigurationError: in production mode, when ``SECRET_KEY`` or ``DATABASE_URL`` is
        missing, or when the Stripe keys are missing or still the localstripe defaults.
    """
    env = os.environ if environ is None else environ
    instance_path.mkdir(parents=True, exist_ok=True)
    mode = env.get("DATAMARKET_ENV", "development").strip().lower()
    if mode not in {"development", "production"}:
        raise ConfigurationError(
            f"DATAMARKET_ENV must be 'development' or 'production', not {mode!r}."
        )
    production = mode == "production"

    missing = [name for name in ("SECRET_KEY", "DATABASE_URL") if production and not env.get(name)]
    if missing:
        raise ConfigurationError(
            "Production mode needs " + " and ".join(missing) + " set in the environment; "
            "refusing to start with a generated key or a local database."
        )

    stripe = _stripe_settings(env, production)

    secret_key = env.get("SECRET_KEY") or _secret_key_from_instance(instance_path)
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'datamarket.db'}"

    return {
        "DATAMARKET_ENV": mode,
        "SECRET_KEY": secret_key,
        "DATABASE_URL": database_url,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_ENABLED": True,
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", 16 * 1024 * 1024)),
        "BABEL_DEFAULT_LOCALE": "en",
        "LANGUAGES": {"en": "English", "zh_Hans": "简体中文"},
        # Mail: SMTP when SMTP_HOST is set, otherwise every message is written to a folder.
        "SMTP_HOST": env.get("SMTP_HOST", ""),
        "SMTP_PORT": int(env.get("SMTP_PORT", "587")),
        "SMTP_USERNAME": env.get("SMTP_USERNAME", ""),
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": _env_bool(env.get("SMTP_STARTTLS"), True),
        "MAIL_FROM": env.get("MAIL_FROM", "Datamarket <no-reply@datamarket.localhost>"),
        "MAIL_FOLDER": env.get("MAIL_FOLDER", str(instance_path / "mail")),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000"),
        # Plugins (marketplace/plugins): a local folder for development, the kill switch that
        # stops loading entry points and that folder, the circuit breakers, and the limits of
        # the worker process each untrusted plugin runs in.
        "DATAMARKET_PLUGINS_DIR": env.get("DATAMARKET_PLUGINS_DIR", ""),
        "DATAMARKET_DISABLE_PLUGIN_AUTOLOAD": _env_bool(
            env.get("DATAMARKET_DISABLE_PLUGIN_AUTOLOAD"), False),
        "PLUGIN_BREAKER_THRESHOLD": int(env.get("PLUGIN_BREAKER_THRESHOLD", "5")),
        "PLUGIN_BREAKER_COOLDOWN": float(env.get("PLUGIN_BREAKER_COOLDOWN", "30")),
        # Threads started once per server process that trusted plugins' calls run on.
        "PLUGIN_TRUSTED_THREADS": int(env.get("PLUGIN_TRUSTED_THREADS", "8")),
        "PLUGIN_WORKER_CPU_SECONDS": int(env.get("PLUGIN_WORKER_CPU_SECONDS", "300")),
        "PLUGIN_WORKER_MEMORY_MB": int(env.get("PLUGIN_WORKER_MEMORY_MB", "1024")),
        # Seconds one plugin may take to be imported and described (in a child process) at
        # discovery before it is recorded as failed.
        "PLUGIN_DESCRIBE_TIMEOUT": float(env.get("PLUGIN_DESCRIBE_TIMEOUT", "20")),
        # How long one plugin may take to handle an event (e.g. a listing's compliance scan).
        "PLUGIN_EVENT_TIMEOUT": float(env.get("PLUGIN_EVENT_TIMEOUT", "10")),
        # Search (marketplace/search): where the Whoosh index lives, and how often each server
        # process looks for changes other processes left in the outbox (0: apply them in the
        # committing request instead, as the tests and CLI commands do).
        "SEARCH_INDEX_DIR": env.get("SEARCH_INDEX_DIR", str(instance_path / "search")),
        "SEARCH_POLL_SECONDS": float(env.get("SEARCH_POLL_SECONDS", "0.5")),
        # Shared counters (rate limits, quotas, breakers, caches' invalidation) across processes
        # and hosts: a Redis server's URL, e.g. redis://127.0.0.1:6379/0. Empty (the embedded
        # default): the database and each process's memory (DESIGN.md §4).
        "REDIS_URL": env.get("REDIS_URL", "").strip(),
        # Background jobs (marketplace/jobs): Huey on REDIS_URL when set, else on this SQLite
        # file; the worker (`datamarket worker`) runs JOBS_WORKERS threads. A running job's
        # heartbeat older than JOBS_LEASE_SECONDS means its worker died: the worker's sweep,
        # every JOBS_SWEEP_SECONDS, puts it back on the queue. A failing job is tried
        # JOBS_MAX_ATTEMPTS times, waiting JOBS_RETRY_DELAY seconds, then twice that, and so on.
        # JOBS_IMMEDIATE runs each job at once in the process that asks (tests, one-off
        # scripts); JOBS_IMPORT names more modules that define jobs (comma-separated).
        "JOBS_SQLITE_FILE": env.get("JOBS_SQLITE_FILE", str(instance_path / "jobs.sqlite3")),
        "JOBS_QUEUE_NAME": env.get("JOBS_QUEUE_NAME", "datamarket"),
        "JOBS_WORKERS": int(env.get("JOBS_WORKERS", "2")),
        "JOBS_LEASE_SECONDS": float(env.get("JOBS_LEASE_SECONDS", "60")),
        "JOBS_SWEEP_SECONDS": float(env.get("JOBS_SWEEP_SECONDS", "15")),
        "JOBS_LOST_AFTER_SECONDS": float(env.get("JOBS_LOST_AFTER_SECONDS", "600")),
        "JOBS_MAX_ATTEMPTS": int(env.get("JOBS_MAX_ATTEMPTS", "5")),
        "JOBS_RETRY_DELAY": float(env.get("JOBS_RETRY_DELAY", "10")),
        "JOBS_IMMEDIATE": _env_bool(env.get("JOBS_IMMEDIATE"), False),
        "JOBS_IMPORT": env.get("JOBS_IMPORT", ""),
        # The delivery gateway (marketplace/delivery/gateway.py): calls per API key (a
        # Flask-Limiter rate string), and how many calls' usage records one audit entry seals.
        "GATEWAY_RATE_LIMIT": env.get("GATEWAY_RATE_LIMIT", "600/minute"),
        "GATEWAY_AUDIT_BATCH": int(env.get("GATEWAY_AUDIT_BATCH", "100")),
        # Abnormal-use detection (marketplace/monitoring/detection.py; docs/decisions.md,
        # "Watching use"): the window a sweep reads, each rule's thresholds, the rules whose
        # alert suspends the key at once (comma-separated: burst, enumeration, fishing), and
        # how long the input keys kept for detection live.
        "USAGE_WINDOW_MINUTES": int(env.get("USAGE_WINDOW_MINUTES", "60")),
        "USAGE_BURST_FACTOR": float(env.get("USAGE_BURST_FACTOR", "10")),
        "USAGE_BURST_FLOOR": int(env.get("USAGE_BURST_FLOOR", "300")),
        "USAGE_BASELINE_DAYS": int(env.get("USAGE_BASELINE_DAYS", "7")),
        "USAGE_ENUMERATION_RUN": int(env.get("USAGE_ENUMERATION_RUN", "20")),
        "USAGE_FISHING_MIN_CALLS": int(env.get("USAGE_FISHING_MIN_CALLS", "30")),
        "USAGE_FISHING_SHARE": float(env.get("USAGE_FISHING_SHARE", "0.7")),
        "USAGE_SUSPEND_RULES": env.get("USAGE_SUSPEND_RULES", "enumeration"),
        "USAGE_INPUT_KEY_DAYS": int(env.get("USAGE_INPUT_KEY_DAYS", "30")),
        # How often the worker asks for one usage sweep (detection and version notices) as a
        # background job, whatever the number of workers; 0 stops it (`datamarket sweep-usage`
        # still runs one by hand).
        "USAGE_SWEEP_SECONDS": float(env.get("USAGE_SWEEP_SECONDS", "300")),
        # How often the worker looks for refund requests that became the admins' to decide
        # (three working days undecided) and tells the admins; 0 stops it.
        "REFUND_REQUESTS_SWEEP_SECONDS": float(env.get("REFUND_REQUESTS_SWEEP_SECONDS", "900")),
        # Downloads of data packages (marketplace/delivery/downloads.py): how long a signed
        # download link stays valid, how many downloads one entitlement allows, and the rows
        # above which the file is prepared by a background job (with a progress bar).
        "DOWNLOAD_LINK_SECONDS": int(env.get("DOWNLOAD_LINK_SECONDS", "900")),
        "DOWNLOAD_LIMIT": int(env.get("DOWNLOAD_LIMIT", "10")),
        "DOWNLOAD_JOB_ROWS": int(env.get("DOWNLOAD_JOB_ROWS", "200000")),
        # Signed checkpoints of the audit chain's head (`datamarket audit checkpoint`), kept
        # outside the database; put it on storage the database's users cannot write.
        "AUDIT_CHECKPOINT_FILE": env.get("AUDIT_CHECKPOINT_FILE",
                                         str(instance_path / "audit-checkpoints.jsonl")),
        # Datasets (marketplace/datasets): a folder in the instance by default; S3-compatible
        # object storage when DATASET_S3_BUCKET is set (the endpoint URL for MinIO, Ceph or
        # another provider; empty for AWS). The listing editor's upload takes files up to
        # DATASET_UPLOAD_MAX_BYTES (its own limit; MAX_CONTENT_LENGTH stays for the rest).
        "DATASETS_DIR": env.get("DATASETS_DIR", str(instance_path / "datasets")),
        "DATASET_S3_BUCKET": env.get("DATASET_S3_BUCKET", "").strip(),
        "DATASET_S3_ENDPOINT_URL": env.get("DATASET_S3_ENDPOINT_URL", "").strip(),
        "DATASET_S3_REGION": env.get("DATASET_S3_REGION", "").strip(),
        "DATASET_S3_ACCESS_KEY_ID": env.get("DATASET_S3_ACCESS_KEY_ID", "").strip(),
        "DATASET_S3_SECRET_ACCESS_KEY": env.get("DATASET_S3_SECRET_ACCESS_KEY", "").strip(),
        "DATASET_S3_PREFIX": env.get("DATASET_S3_PREFIX", "datasets/"),
        "DATASET_UPLOAD_MAX_BYTES": int(env.get("DATASET_UPLOAD_MAX_BYTES",
                                                200 * 1024 * 1024)),
        # Each granted dataset once as a read-only SQLite file that plugins' lookups read
        # (marketplace/datasets/lookup.py); rebuilt from the dataset store when missing.
        "LOOKUP_STORES_DIR": env.get("LOOKUP_STORES_DIR", str(instance_path / "lookup")),
        # The platform's commission on every payment, in basis points, until an admin sets it.
        "COMMERCE_COMMISSION_BP": int(env.get("COMMERCE_COMMISSION_BP", "1000")),
        # Payments (marketplace/commerce/payments.py): Stripe, or localstripe on 127.0.0.1.
        **stripe,
        # OpenAPI, served with a vendored Swagger UI (no CDN).
        "API_TITLE": "Datamarket API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "/static/vendor/swagger-ui/",
    }
