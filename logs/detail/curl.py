""" "Copy as cURL": the user's original request, replayable, with the key as a placeholder."""

import json
import shlex

GATEWAY = "https://zenmux.ai/api"
# Hop-by-hop and computed headers curl sets itself; secrets become a placeholder.
SKIP_HEADERS = {
    "host",
    "content-length",
    "connection",
    "accept-encoding",
    "transfer-encoding",
    "cookie",
    "x-forwarded-for",
    "x-real-ip",
}
KEY_HEADERS = {"authorization", "x-api-key", "api-key", "x-goog-api-key", "proxy-authorization"}


def _endpoint(headers, body):
    path = headers.get(":path") or headers.get("x-original-path")
    if path:
        return GATEWAY.rstrip("/") + "/" + path.lstrip("/")
    if isinstance(body, dict):
        if "anthropic-version" in {k.lower() for k in headers} or (
            "max_tokens" in body and "messages" in body and "system" in body
        ):
            return f"{GATEWAY}/anthropic/v1/messages"
        if "input" in body and "messages" not in body:
            return f"{GATEWAY}/v1/responses"
        if "contents" in body:
            model = body.get("model", "MODEL")
            return f"{GATEWAY}/vertex-ai/v1/models/{model}:generateContent"
    return f"{GATEWAY}/v1/chat/completions"


def build_curl(headers, body_text, body_format):
    """A multi-line cURL command for a stored user_request."""
    try:
        body = json.loads(body_text) if body_format == "json" else None
    except (ValueError, RecursionError):
        body = None
    lines = [f"curl {shlex.quote(_endpoint(headers, body))}"]
    has_key = False
    for name, value in sorted(headers.items()):
        lower = name.lower()
        if lower.startswith(":") or lower in SKIP_HEADERS:
            continue
        if lower in KEY_HEADERS:
            has_key = True
            value = "Bearer $ZENMUX_API_KEY" if lower == "authorization" else "$ZENMUX_API_KEY"
            # Double quotes so the shell expands the placeholder variable.
            lines.append(f'-H "{name}: {value}"')
            continue
        lines.append(f"-H {shlex.quote(f'{name}: {value}')}")
    if not has_key:
        lines.append('-H "Authorization: Bearer $ZENMUX_API_KEY"')
    if body_text:
        if not any(n.lower() == "content-type" for n in headers):
            lines.append("-H 'Content-Type: application/json'")
        lines.append(f"--data-raw {shlex.quote(body_text)}")
    return " \\\n  ".join(lines)
