"""Every setting Likely reads, with its default. Environment variables only (12-factor).

This is the one place a setting is named. Field `x` of `Settings` is read from LIKELY_X
(a field with a `validation_alias` from that variable instead) each time `Settings()` or
`load()` is called, never at import. A value that does not parse stops the service with
an error naming the variable. The README's settings table is generated from this class
(`python -m shared.settings`; tests/unit/settings/test_settings_documented.py checks the two
agree) and tests/deploy check that the deploy files name only these variables.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


def env_name(field: str) -> str:
    return f"LIKELY_{field.upper()}"


def under_data_dir(*parts: str):
    """Default of a path inside the data dir, wherever LIKELY_DATA_DIR puts it."""
    return lambda values: str(Path(values["data_dir"], *parts))


class Settings(BaseSettings):
    # Each field's alias is its variable, so a validation error names the variable;
    # keyword arguments by field name (Settings(x=...), dataclasses.replace) still work.
    model_config = SettingsConfigDict(alias_generator=env_name, validate_by_name=True, case_sensitive=True, frozen=True)

    data_dir: str = Field(str(ROOT / "var"), description=(
        "Where generated assets, local images, logs and the dev database live"))
    image_dir: str = Field(default_factory=under_data_dir("images"), description="Root of the local image store")
    sandbox_accounts: str = Field(default_factory=under_data_dir("sandbox", "accounts"), description=(
        "Folder of sandbox accounts"))
    # infrastructure
    amqp_url: str = Field("amqp://guest:guest@127.0.0.1:5672//", description="RabbitMQ")
    amqp_management_url: str = Field("http://127.0.0.1:15672", description=(
        "RabbitMQ's management API (queue depths for the admin API), with LIKELY_AMQP_URL's user and virtual host"))
    amqp_heartbeat: int = Field(30, description="AMQP heartbeat, seconds")
    confirm_timeout: float = Field(10.0, description="Seconds to wait for a publisher confirm")
    delivery_limit: int = Field(5, description=(
        "Redeliveries of a message whose worker died or lost its connection holding it, before the broker dead-letters"
        " it (quorum x-delivery-limit; failures are retried through LIKELY_RETRY_DELAYS)"))
    prefetch: int = Field(4, description="Unacked messages a worker holds at once")
    retry_delays: str = Field("1,5,30,120,300", description=(
        "Seconds a failed message waits in the broker before each further try (comma-separated; one retry queue per "
        "delay); after the last it is counted failed or dead-lettered"))
    run_stall_timeout: float = Field(900.0, description=(
        "Seconds without progress after which the janitor resumes a live run (republishes its work), and fails it if "
        "it stalls again"))
    janitor_interval: float = Field(30.0, description="Seconds between the janitor's sweeps for stalled runs")
    redis_url: str = Field("redis://127.0.0.1:6379/0", description="Redis")
    mongo_url: str = Field("mongodb://127.0.0.1:27017/?retryWrites=false", description=(
        "MongoDB (any MongoDB-wire server)"))
    mongo_db: str = Field("likely", description="MongoDB database name")
    mongo_timeout: float = Field(10.0, description=(
        "Seconds for any one MongoDB operation (timeoutMS) and for finding the server"))
    redis_timeout: float = Field(2.0, description="Seconds for connecting to Redis and for any one Redis command")
    # image store
    image_store: str = Field("local", description="`local` (a directory) or `s3`")
    s3_bucket: str = Field("likely-images", description="Bucket of the S3 image store")
    s3_endpoint_url: str = Field("", description="S3 endpoint (empty: AWS)")
    aws_region: str = Field("us-east-1", validation_alias='AWS_DEFAULT_REGION', description=(
        "AWS region for S3 and Rekognition"))
    # images
    max_image_bytes: int = Field(20 * 1024 * 1024, description="Largest image accepted (upload or download)")
    max_image_pixels: int = Field(50_000_000, description="Largest decoded image, in pixels (decompression bombs)")
    download_timeout: float = Field(20.0, description=(
        "Seconds for one whole image download (a total deadline, not per read)"))
    download_hosts: str = Field("*.cdninstagram.com,*.fbcdn.net", description=(
        "Hosts images are downloaded from, comma-separated (`*.example.com`: its subdomains); the host of "
        "LIKELY_INSTAGRAM_GRAPH_URL is always allowed. Each redirect is checked again"))
    download_private_hosts: str = Field("", description=(
        "Allowed hosts that may resolve to loopback, private or link-local addresses (refused otherwise); the "
        "LIKELY_INSTAGRAM_GRAPH_URL origin always may (the sandbox in dev)"))
    # labeling
    labeler: str = Field("offline", description=(
        "`offline` (EfficientNet-Lite0 + detectors), `rekognition`, or `delay:<time>` (e.g. `delay:150ms`: a benchmark"
        " stand-in for a remote labeler that sleeps and returns made-up labels; never for real use)"))
    min_confidence: float = Field(50.0, description="Labels below this confidence are dropped")
    max_labels: int = Field(100, description="Most labels kept per image")
    labeler_threads: int = Field(1, description=(
        "CPU threads of the offline labeler's model per process (scale out with processes)"))
    labeler_concurrency: int = Field(0, description=(
        "Labeling calls each labeler process keeps in flight (its prefetch too); 0: 8 for remote backends "
        "(rekognition, delay), 1 for the offline model"))
    rekognition_endpoint_url: str = Field("", description="Rekognition endpoint (empty: AWS; tests point it at moto)")
    # gateway
    gateway_host: str = Field("127.0.0.1", description="Gateway bind address")
    gateway_port: int = Field(8000, description="Gateway port")
    gateway_workers: int = Field(2, description="gunicorn workers")
    public_url: str = Field("http://127.0.0.1:8000", description="URL people reach the gateway at (OAuth redirects)")
    token_ttl: int = Field(3600, description="Session token lifetime, seconds")
    admin_emails: str = Field("", description=(
        "Emails of the admin accounts (the operators' API: `likely top`, `likely dead-letters`), comma-separated; an "
        "address grants nothing until it is verified"))
    secret_key: str = Field("", description=(
        "Fernet keys that encrypt Instagram tokens at rest and sign image links and log-in cookies, comma-separated: "
        "the first encrypts and signs, every one decrypts and verifies (rotation: put the new key first, keep the old "
        "ones until re-encrypted). Empty: a dev key kept in the data dir, refused when LIKELY_ENV=production"))
    env: str = Field("development", description=(
        "`development` or `production` (every service then refuses to start without LIKELY_SECRET_KEY)"))
    max_upload_bytes: int = Field(25 * 1024 * 1024, description="Largest request body the gateway reads")
    rpc_timeout: float = Field(15.0, description="Seconds the gateway waits for the inferer")
    oidc_providers: str = Field("", description=(
        "OpenID Connect providers offered as \"Log in with …\": a JSON list of {name, issuer, client_id, "
        "client_secret[, label, scopes, require_verified_email]} (empty: none); "
        "redirect URI {LIKELY_PUBLIC_URL}/auth/oidc/{name}/callback"))
    proxy_hops: int = Field(0, description=(
        "Reverse proxies in front of the gateway whose X-Forwarded-For is trusted for the client's address (rate "
        "limits); 0: the TCP peer"))
    login_limit_account: str = Field("10 per minute;50 per hour", description=(
        "Log-in attempts per account (email) before 429 (Flask-Limiter syntax, `;` between limits)"))
    login_limit_address: str = Field("30 per minute;300 per hour", description=(
        "Log-in attempts per client address before 429"))
    signup_limit: str = Field("20 per hour", description="Sign-ups per client address before 429")
    oidc_start_limit: str = Field("20 per minute", description=(
        "OpenID Connect log-ins started per client address before 429"))
    rate_limit_prefix: str = Field("likely-limits", description="Prefix of the rate-limit counters' Redis keys")
    # mail (the sign-up verification link; services.gateway.accounts.mail)
    smtp_host: str = Field("", description=(
        "SMTP server mail is sent through (empty: each message is appended to LIKELY_MAIL_OUTBOX instead, for "
        "development)"))
    smtp_port: int = Field(25, description="SMTP port")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS (certificate checked)")
    smtp_user: str = Field("", description="SMTP log-in user (empty: no log-in)")
    smtp_password: str = Field("", description="SMTP log-in password")
    mail_from: str = Field("Likely <no-reply@likely.example>", description="From: of the mail Likely sends")
    mail_outbox: str = Field(default_factory=under_data_dir("mail", "outbox.mbox"), description=(
        "mbox file mail goes to when LIKELY_SMTP_HOST is empty"))
    email_verify_ttl: int = Field(86400, description="Seconds an email verification link stays valid")
    # instagram
    instagram_client_id: str = Field("likely-demo", description="Instagram app id")
    instagram_client_secret: str = Field("likely-demo-secret", description="Instagram app secret")
    instagram_auth_url: str = Field("http://127.0.0.1:8100", description=(
        "Instagram OAuth base (real: https://www.instagram.com)"))
    instagram_api_url: str = Field("http://127.0.0.1:8100", description=(
        "Instagram API base (real: https://api.instagram.com)"))
    instagram_graph_url: str = Field("http://127.0.0.1:8100", description=(
        "Instagram Graph base (real: https://graph.instagram.com)"))
    instagram_api_version: str = Field("v21.0", description="Graph API version")
    instagram_timeout: float = Field(15.0, description="Seconds per Instagram request")
    instagram_retries: int = Field(5, description="Retries of a throttled Instagram request")
    instagram_page_size: int = Field(100, description="Media per page when listing a user's posts")
    instagram_backoff: float = Field(1.0, description="First back-off after throttling, seconds (doubles)")
    instagram_slow_above: float = Field(80.0, description=(
        "Usage (percent of any quota in X-App-Usage / X-Business-Use-Case-Usage) above which requests are spaced out"))
    instagram_slow_delay: float = Field(2.0, description=(
        "Pause between requests near 100% usage, seconds (grows linearly from 0 at LIKELY_INSTAGRAM_SLOW_ABOVE)"))
    instagram_full_pause: float = Field(300.0, description=(
        "Pause at 100% usage when the header gives no reset time, seconds"))
    instagram_max_pause: float = Field(900.0, description=(
        "Longest pause a worker waits out; a longer reset fails the request as throttled"))
    instagram_insights: bool = Field(True, description=(
        "Ask for instagram_business_manage_insights and read each post's reach, views, saves and shares "
        "(false: an app not approved for it; nothing is asked or read)"))
    instagram_insights_batch: int = Field(50, description=(
        "Posts whose insights the ingestor reads between two writes to MongoDB (one bulk write a batch)"))
    # observability (shared.worker_metrics)
    metrics_port: int = Field(0, description=(
        "Port on which a worker process serves /metrics and /healthz (0: none); one per process on a shared host "
        "(scripts/stack.sh hands them out), the same in every container"))
    metrics_host: str = Field("127.0.0.1", description="Bind address of a worker's /metrics and /healthz")
    # sandbox
    sandbox_port: int = Field(8100, description="Port of the Instagram sandbox")

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        """Keyword arguments, then environment variables; no .env or secrets files (12-factor)."""
        return init_settings, env_settings

    @model_validator(mode="wrap")
    @classmethod
    def _only_real_errors(cls, values, handler):
        """Defaults made from the data dir are not made once an earlier value failed; pydantic
        reports each as an error of its own, noise around the one that matters."""
        try:
            return handler(values)
        except ValidationError as failed:
            real = [e for e in failed.errors() if e["type"] != "default_factory_not_called"]
            # ErrorDetails read back are the InitErrorDetails pydantic takes
            raise ValidationError.from_exception_data(failed.title, real) from None  # type: ignore[arg-type]

    @field_validator("retry_delays")
    @classmethod
    def _delays_parse(cls, text: str) -> str:
        parse_delays(text)
        return text

    @property
    def retry_schedule(self) -> tuple[float, ...]:
        """LIKELY_RETRY_DELAYS parsed: the wait before each further try, in seconds."""
        return parse_delays(self.retry_delays)

    @property
    def models_dir(self) -> Path:
        return Path(self.data_dir) / "models"


# Callers copy settings with one change as they always have, dataclasses.replace(settings,
# x=...): it needs only the list of fields, and builds the copy with Settings(**values),
# so the copy is validated like any other.
Settings.__dataclass_fields__ = dataclasses.make_dataclass(  # type: ignore[attr-defined]
    "SettingsFields", list(Settings.model_fields)).__dataclass_fields__


def parse_delays(text: str) -> tuple[float, ...]:
    delays = tuple(float(part) for part in text.split(",") if part.strip())
    if any(d <= 0 for d in delays):
        raise ValueError(f"retry delays must be positive seconds: {text!r}")
    return delays


def documented() -> list[tuple[str, object, str | None]]:
    """(variable, default, description) for every setting, for the README and tests;
    defaults that derive from the data dir are shown under the default data dir."""
    defaults: dict[str, object] = {}
    for name, f in Settings.model_fields.items():
        defaults[name] = f.get_default(call_default_factory=True, validated_data=defaults)
    return [(str(f.validation_alias), defaults[name], f.description) for name, f in Settings.model_fields.items()]


def load() -> Settings:
    return Settings()


def markdown_table() -> str:
    """The README's settings table: `python -m shared.settings`."""
    root = str(ROOT)
    rows = ["| variable | default | what |", "|---|---|---|"]
    for env, default, doc in documented():
        shown = str(default).replace(root, "<repo>") if default != "" else "(empty)"
        rows.append(f"| `{env}` | `{shown}` | {doc} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
