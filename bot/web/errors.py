"""The one place that decides how an error reads: `{"error": "..."}` on careerbot's own routes, OpenAI's
`{"error": {"message", "type", "param", "code"}}` under /v1/ so that OpenAI SDKs raise their usual exceptions."""

from __future__ import annotations

OPENAI_PREFIX = "/v1/"
# status -> (OpenAI error type, code), as OpenAI's own server reports them.
_OPENAI_KINDS = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "origin_not_allowed"),
    404: ("invalid_request_error", "not_found"),
    413: ("invalid_request_error", "request_too_large"),
    429: ("requests", "rate_limit_exceeded"),
}


def error_body(path: str, status: int, message: str, code: str | None = None) -> tuple[int, dict]:
    """(status, JSON body) of an error on `path`. OpenAI clients know 400, not 422, for a bad request."""
    if not path.startswith(OPENAI_PREFIX):
        return status, {"error": message}
    status = 400 if status == 422 else status
    kind, default_code = _OPENAI_KINDS.get(status, ("server_error" if status >= 500 else "invalid_request_error", None))
    return status, {"error": {"message": message, "type": kind, "param": None, "code": code or default_code}}
