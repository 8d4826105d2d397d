"""Run careerbot's web app: python app.py [--host HOST] [--port PORT] [--backend NAME]

Serves the chat UI at /, the JSON API at /api/chat, the streaming API at /api/chat/stream, the
OpenAI-compatible API at /v1/, the API docs at /docs, health at /health, the embeddable widget at /widget.js
and a page embedding it at /demo. Ingests the knowledge folder first when the store is empty.
"""

from __future__ import annotations

import argparse
import logging

import bot  # noqa: F401 - offline switches first
from bot.settings import get_settings


def main(argv: list[str] | None = None) -> None:
    settings = get_settings()
    from bot.answer.backends import BACKEND_NAMES

    parser = argparse.ArgumentParser(description="careerbot web app: chat UI, widget and HTTP API.")
    parser.add_argument("--host", default=settings.host, help=f"interface to listen on (default {settings.host})")
    parser.add_argument("--port", type=int, default=settings.port, help=f"port (default {settings.port})")
    parser.add_argument("--backend", choices=BACKEND_NAMES, default=settings.backend, help="answer backend")
    parser.add_argument(
        "--forwarded-allow-ips", metavar="ADDRESSES", default=",".join(settings.trusted_proxies),
        help="comma-separated addresses or networks of reverse proxies whose X-Forwarded-For names the client "
             "(default: none, or CAREERBOT_TRUSTED_PROXIES)")
    args = parser.parse_args(argv)
    trusted = [address.strip() for address in args.forwarded_allow_ips.split(",") if address.strip()]
    settings = settings.model_copy(update={"host": args.host, "port": args.port, "backend": args.backend,
                                           "trusted_proxies": trusted})
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    import uvicorn

    from bot.web.api import create_app

    logging.getLogger(__name__).info("careerbot starting on http://%s:%d", args.host, args.port)
    # uvicorn would trust X-Forwarded-For from 127.0.0.1 by default; careerbot trusts only the named proxies,
    # so a client behind a same-host proxy can't mint a fresh rate-limit bucket per request.
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info",
                proxy_headers=bool(trusted), forwarded_allow_ips=trusted or None)


if __name__ == "__main__":
    main()
