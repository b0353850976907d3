"""python -m sandbox.instagram [--host H] [--port P] [--accounts DIR]: run the sandbox."""
from __future__ import annotations

import argparse
import logging
import signal
import sys

from werkzeug.serving import make_server

from shared.settings import load

from .server import create_app


def main(argv: list[str] | None = None) -> int:
    s = load()
    ap = argparse.ArgumentParser(prog="python -m sandbox.instagram", description=__doc__)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=s.sandbox_port)
    ap.add_argument("--accounts", default=s.sandbox_accounts, help="folder of account folders")
    ap.add_argument("--client-id", default=s.instagram_client_id)
    ap.add_argument("--client-secret", default=s.instagram_client_secret)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s sandbox.instagram %(levelname)s %(message)s")
    app = create_app(args.accounts, args.client_id, args.client_secret)
    server = make_server(args.host, args.port, app, threaded=True)
    logging.info("Instagram sandbox on http://%s:%d, accounts in %s", args.host, server.server_port, args.accounts)

    def stop(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
