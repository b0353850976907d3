"""Every setting Likely reads, with its default. Environment variables only (12-factor).

This is the one place a setting is named; the README's settings table mirrors it
(tests/unit/test_settings.py checks that the two agree).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, str(default)))


def _bool(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in ("1", "true", "yes", "on")


def setting(name: str, default, doc: str, parse=None):
    """A dataclass field read from environment variable `name` when Settings() is built."""
    parse = parse or {bool: _bool, int: _int, float: _float}.get(type(default), _env)
    return field(default_factory=lambda: parse(name, default), metadata={"env": name, "default": default, "doc": doc})


DATA_DIR = os.environ.get("LIKELY_DATA_DIR", str(ROOT / "var"))


@dataclass(frozen=True)
class Settings:
    data_dir: str = setting("LIKELY_DATA_DIR", str(ROOT / "var"), "Where generated assets, local images, logs and the dev database live")
    # infrastructure
    amqp_url: str = setting("LIKELY_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//", "RabbitMQ")
    amqp_heartbeat: int = setting("LIKELY_AMQP_HEARTBEAT", 30, "AMQP heartbeat, seconds")
    confirm_timeout: float = setting("LIKELY_CONFIRM_TIMEOUT", 10.0, "Seconds to wait for a publisher confirm")
    delivery_limit: int = setting("LIKELY_DELIVERY_LIMIT", 5, "Redeliveries of a message whose worker died or lost its connection holding it, before the broker dead-letters it (quorum x-delivery-limit; failures are retried through LIKELY_RETRY_DELAYS)")
    prefetch: int = setting("LIKELY_PREFETCH", 4, "Unacked messages a worker holds at once")
    retry_delays: str = setting("LIKELY_RETRY_DELAYS", "1,5,30,120,300", "Seconds a failed message waits in the broker before each further try (comma-separated; one retry queue per delay); after the last it is counted failed or dead-lettered")
    run_stall_timeout: float = setting("LIKELY_RUN_STALL_TIMEOUT", 900.0, "Seconds without progress after which the janitor resumes a live run (republishes its work), and fails it if it stalls again")
    janitor_interval: float = setting("LIKELY_JANITOR_INTERVAL", 30.0, "Seconds between the janitor's sweeps for stalled runs")
    redis_url: str = setting("LIKELY_REDIS_URL", "redis://127.0.0.1:6379/0", "Redis")
    mongo_url: str = setting("LIKELY_MONGO_URL", "mongodb://127.0.0.1:27017/?retryWrites=false", "MongoDB (any MongoDB-wire server)")
    mongo_db: str = setting("LIKELY_MONGO_DB", "likely", "MongoDB database name")
    mongo_timeout: float = setting("LIKELY_MONGO_TIMEOUT", 10.0, "Seconds for any one MongoDB operation (timeoutMS) and for finding the server")
    redis_timeout: float = setting("LIKELY_REDIS_TIMEOUT", 2.0, "Seconds for connecting to Redis and for any one Redis command")
    # image store
    image_store: str = setting("LIKELY_IMAGE_STORE", "local", "`local` (a directory) or `s3`")
    image_dir: str = setting("LIKELY_IMAGE_DIR", str(Path(DATA_DIR) / "images"), "Root of the local image store")
    s3_bucket: str = setting("LIKELY_S3_BUCKET", "likely-images", "Bucket of the S3 image store")
    s3_endpoint_url: str = setting("LIKELY_S3_ENDPOINT_URL", "", "S3 endpoint (empty: AWS)")
    aws_region: str = setting("AWS_DEFAULT_REGION", "us-east-1", "AWS region for S3 and Rekognition")
    # images
    max_image_bytes: int = setting("LIKELY_MAX_IMAGE_BYTES", 20 * 1024 * 1024, "Largest image accepted (upload or download)")
    max_image_pixels: int = setting("LIKELY_MAX_IMAGE_PIXELS", 50_000_000, "Largest decoded image, in pixels (decompression bombs)")
    download_timeout: float = setting("LIKELY_DOWNLOAD_TIMEOUT", 20.0, "Seconds for one whole image download (a total deadline, not per read)")
    download_hosts: str = setting("LIKELY_DOWNLOAD_HOSTS", "*.cdninstagram.com,*.fbcdn.net", "Hosts images are downloaded from, comma-separated (`*.example.com`: its subdomains); the host of LIKELY_INSTAGRAM_GRAPH_URL is always allowed. Each redirect is checked again")
    download_private_hosts: str = setting("LIKELY_DOWNLOAD_PRIVATE_HOSTS", "", "Allowed hosts that may resolve to loopback, private or link-local addresses (refused otherwise); the LIKELY_INSTAGRAM_GRAPH_URL origin always may (the sandbox in dev)")
    # labeling
    labeler: str = setting("LIKELY_LABELER", "offline", "`offline` (EfficientNet-Lite0 + detectors), `rekognition`, or `delay:<time>` (e.g. `delay:150ms`: a benchmark stand-in for a remote labeler that sleeps and returns made-up labels; never for real use)")
    min_confidence: float = setting("LIKELY_MIN_CONFIDENCE", 50.0, "Labels below this confidence are dropped")
    max_labels: int = setting("LIKELY_MAX_LABELS", 100, "Most labels kept per image")
    labeler_threads: int = setting("LIKELY_LABELER_THREADS", 1, "CPU threads of the offline labeler's model per process (scale out with processes)")
    labeler_concurrency: int = setting("LIKELY_LABELER_CONCURRENCY", 0, "Labeling calls each labeler process keeps in flight (its prefetch too); 0: 8 for remote backends (rekognition, delay), 1 for the offline model")
    rekognition_endpoint_url: str = setting("LIKELY_REKOGNITION_ENDPOINT_URL", "", "Rekognition endpoint (empty: AWS; tests point it at moto)")
    # gateway
    gateway_host: str = setting("LIKELY_GATEWAY_HOST", "127.0.0.1", "Gateway bind address")
    gateway_port: int = setting("LIKELY_GATEWAY_PORT", 8000, "Gateway port")
    gateway_workers: int = setting("LIKELY_GATEWAY_WORKERS", 2, "gunicorn workers")
    public_url: str = setting("LIKELY_PUBLIC_URL", "http://127.0.0.1:8000", "URL people reach the gateway at (OAuth redirects)")
    token_ttl: int = setting("LIKELY_TOKEN_TTL", 3600, "Session token lifetime, seconds")
    secret_key: str = setting("LIKELY_SECRET_KEY", "", "Fernet keys that encrypt Instagram tokens at rest, comma-separated: the first encrypts, every one decrypts (rotation: put the new key first, keep the old ones until re-encrypted). Empty: a dev key kept in the data dir, refused when LIKELY_ENV=production")
    env: str = setting("LIKELY_ENV", "development", "`development` or `production` (every service then refuses to start without LIKELY_SECRET_KEY)")
    max_upload_bytes: int = setting("LIKELY_MAX_UPLOAD_BYTES", 25 * 1024 * 1024, "Largest request body the gateway reads")
    rpc_timeout: float = setting("LIKELY_RPC_TIMEOUT", 15.0, "Seconds the gateway waits for the inferer")
    oidc_providers: str = setting("LIKELY_OIDC_PROVIDERS", "", "OpenID Connect providers offered as \"Log in with …\": a JSON list of {name, issuer, client_id, client_secret[, label, scopes, require_verified_email]} (empty: none); redirect URI {LIKELY_PUBLIC_URL}/auth/oidc/{name}/callback")
    proxy_hops: int = setting("LIKELY_PROXY_HOPS", 0, "Reverse proxies in front of the gateway whose X-Forwarded-For is trusted for the client's address (rate limits); 0: the TCP peer")
    login_limit_account: str = setting("LIKELY_LOGIN_LIMIT_ACCOUNT", "10 per minute;50 per hour", "Log-in attempts per account (email) before 429 (Flask-Limiter syntax, `;` between limits)")
    login_limit_address: str = setting("LIKELY_LOGIN_LIMIT_ADDRESS", "30 per minute;300 per hour", "Log-in attempts per client address before 429")
    signup_limit: str = setting("LIKELY_SIGNUP_LIMIT", "20 per hour", "Sign-ups per client address before 429")
    oidc_start_limit: str = setting("LIKELY_OIDC_START_LIMIT", "20 per minute", "OpenID Connect log-ins started per client address before 429")
    rate_limit_prefix: str = setting("LIKELY_RATE_LIMIT_PREFIX", "likely-limits", "Prefix of the rate-limit counters' Redis keys")
    # instagram
    instagram_client_id: str = setting("LIKELY_INSTAGRAM_CLIENT_ID", "likely-demo", "Instagram app id")
    instagram_client_secret: str = setting("LIKELY_INSTAGRAM_CLIENT_SECRET", "likely-demo-secret", "Instagram app secret")
    instagram_auth_url: str = setting("LIKELY_INSTAGRAM_AUTH_URL", "http://127.0.0.1:8100", "Instagram OAuth base (real: https://www.instagram.com)")
    instagram_api_url: str = setting("LIKELY_INSTAGRAM_API_URL", "http://127.0.0.1:8100", "Instagram API base (real: https://api.instagram.com)")
    instagram_graph_url: str = setting("LIKELY_INSTAGRAM_GRAPH_URL", "http://127.0.0.1:8100", "Instagram Graph base (real: https://graph.instagram.com)")
    instagram_api_version: str = setting("LIKELY_INSTAGRAM_API_VERSION", "v21.0", "Graph API version")
    instagram_timeout: float = setting("LIKELY_INSTAGRAM_TIMEOUT", 15.0, "Seconds per Instagram request")
    instagram_retries: int = setting("LIKELY_INSTAGRAM_RETRIES", 5, "Retries of a throttled Instagram request")
    instagram_page_size: int = setting("LIKELY_INSTAGRAM_PAGE_SIZE", 100, "Media per page when listing a user's posts")
    instagram_backoff: float = setting("LIKELY_INSTAGRAM_BACKOFF", 1.0, "First back-off after throttling, seconds (doubles)")
    instagram_slow_above: float = setting("LIKELY_INSTAGRAM_SLOW_ABOVE", 80.0, "Usage (percent of any quota in X-App-Usage / X-Business-Use-Case-Usage) above which requests are spaced out")
    instagram_slow_delay: float = setting("LIKELY_INSTAGRAM_SLOW_DELAY", 2.0, "Pause between requests near 100% usage, seconds (grows linearly from 0 at LIKELY_INSTAGRAM_SLOW_ABOVE)")
    instagram_full_pause: float = setting("LIKELY_INSTAGRAM_FULL_PAUSE", 300.0, "Pause at 100% usage when the header gives no reset time, seconds")
    instagram_max_pause: float = setting("LIKELY_INSTAGRAM_MAX_PAUSE", 900.0, "Longest pause a worker waits out; a longer reset fails the request as throttled")
    # sandbox
    sandbox_port: int = setting("LIKELY_SANDBOX_PORT", 8100, "Port of the Instagram sandbox")
    sandbox_accounts: str = setting("LIKELY_SANDBOX_ACCOUNTS", str(Path(DATA_DIR) / "sandbox" / "accounts"), "Folder of sandbox accounts")

    @property
    def retry_schedule(self) -> tuple[float, ...]:
        """LIKELY_RETRY_DELAYS parsed: the wait before each further try, in seconds."""
        return parse_delays(self.retry_delays)

    @property
    def models_dir(self) -> Path:
        return Path(self.data_dir) / "models"


def parse_delays(text: str) -> tuple[float, ...]:
    delays = tuple(float(part) for part in text.split(",") if part.strip())
    if any(d <= 0 for d in delays):
        raise ValueError(f"retry delays must be positive seconds: {text!r}")
    return delays


def documented() -> list[tuple[str, object, str]]:
    """(variable, default, description) for every setting, for the README and tests."""
    return [(f.metadata["env"], f.metadata["default"], f.metadata["doc"]) for f in fields(Settings)]


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
