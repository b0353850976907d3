"""python -m services.gateway: the gateway under gunicorn, settings from the environment."""
import os
import shutil
import sys
from pathlib import Path

from shared.settings import load


def main() -> None:
    s = load()
    from shared.secrets import MissingSecretKey, TokenCipher

    try:  # refuse to start rather than fail on the first request (or encrypt with a key of its own)
        TokenCipher(s)
    except (MissingSecretKey, ValueError) as exc:
        sys.exit(f"gateway: not started: {exc}")
    prom = Path(s.data_dir) / "run" / f"prometheus-gateway-{s.gateway_port}"
    shutil.rmtree(prom, ignore_errors=True)
    prom.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(prom)
    args = [
        "gunicorn", "--bind", f"{s.gateway_host}:{s.gateway_port}", "--workers", str(s.gateway_workers),
        "--threads", "4", "--timeout", "60", "--graceful-timeout", "10", "--access-logfile", "-",
        # idle kept-alive connections live 5 s (gunicorn's 2 s raced the web app's twice-a-second
        # polls on a busy machine: a connection closed just as it was reused)
        "--keep-alive", "5",
        # request lines up to 8190 bytes (gunicorn's 4094 by default): a long query string reaches the
        # app, which answers 414 in the API's error shape (errors.MAX_QUERY_BYTES)
        "--limit-request-line", "8190",
        "--logger-class", "services.gateway.gunicorn_logger.JsonLogger",  # JSON lines (`shared.logs`)
        # the path without its query string (OAuth codes, URL signatures) and without the referrer
        "--access-logformat", '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" %(M)sms',
        "services.gateway.wsgi:app",
    ]
    os.execvp(sys.executable, [sys.executable, "-m", *args])


if __name__ == "__main__":
    main()
