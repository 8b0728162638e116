#!/usr/bin/env python3
"""Connects to the gateway with OAuth, the way claude.ai or Claude Desktop would, using the
official Python MCP SDK's OAuthClientProvider (mcp 2.x): discovery from the 401, dynamic client
registration, authorization with PKCE through the gateway's real forms — the console's sign-in
page (as the simulator's demo user), then the consent page —, the code exchange, MCP calls, a
refresh, and finally the 401 that follows a revocation.

Run by tests/it/oauth_python.rs with the venv python that .ci/setup creates:

    $PYTHON_MCP tests/python/oauth_flow.py --url http://127.0.0.1:PORT/mcp

It talks to its caller in JSON lines on stdout, one per phase, and waits for a line on stdin
between phases, so the caller can act in between (revoke the connection in the console):

    {"phase": "connected", "client_id", "pages": ["login", "consent"], "login_text",
     "consent_text", "tools": [...],
     "search": ..., "context": ..., "token_requests": 1, "iss": ...}
    <- any line
    {"phase": "refreshed", "token_requests": 2, "access_token_changed": true, "tools": n}
    <- any line
    {"phase": "after_revocation", "status": 401, "www_authenticate": "..."}

Exit 0 when every phase ran; any failure exits 1 with a one-line reason on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlparse

REDIRECT = "http://127.0.0.1:53682/callback"  # never bound: the Location header is read instead
LOGIN = "demo"
SECRET = "demo"  # --secret: the simulator's demo password by default
SEARCH_ARGS = {"model": "res.partner", "domain": [["is_company", "=", True]], "fields": ["name"], "limit": 5}


class Failure(Exception):
    """A failure with a message meant for a person reading the test log."""


class FormParser(HTMLParser):
    """The first form of a page: its action, its inputs and its submit buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.inputs: dict[str, str] = {}
        self.buttons: dict[str, list[str]] = {}
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and self.action is None:
            self.action = a.get("action", "")
        elif tag == "input" and "name" in a:
            self.inputs[a["name"]] = a.get("value", "")
        elif tag == "button" and "name" in a:
            self.buttons.setdefault(a["name"], []).append(a.get("value", ""))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def emit(obj: dict[str, Any]) -> None:
    print(json.dumps(obj), flush=True)


def wait_for_caller() -> None:
    if not sys.stdin.readline():
        raise Failure("the caller closed stdin before the next phase")


class Browser:
    """What a person does in the browser: follow redirects, sign in, allow."""

    def __init__(self) -> None:
        self.pages: list[str] = []
        self.login_text = ""
        self.consent_text = ""
        self.result: dict[str, str | None] = {}

    async def drive(self, authorize_url: str) -> None:
        import httpx2

        async with httpx2.AsyncClient(follow_redirects=False, timeout=30) as http:
            response = await http.get(authorize_url)
            for _ in range(12):
                if response.is_redirect:
                    location = response.headers["location"]
                    if location.startswith(REDIRECT):
                        query = parse_qs(urlparse(location).query)
                        self.result = {k: query.get(k, [None])[0] for k in ("code", "state", "iss", "error")}
                        if self.result["error"]:
                            raise Failure(f"authorization refused: {location}")
                        return
                    response = await http.get(response.url.join(location))
                    continue
                if response.status_code != 200:
                    raise Failure(f"HTTP {response.status_code} at {response.url.path}: {response.text[:300]}")
                form = FormParser()
                form.feed(response.text)
                if form.action is None:
                    raise Failure(f"no form at {response.url.path}")
                fields = dict(form.inputs)
                if form.action == "/console/login":
                    # The console's sign-in page: Odoo login and password (or API key).
                    self.pages.append("login")
                    self.login_text = " ".join(" ".join(form.text).split())
                    fields.update(login=LOGIN, secret=SECRET)
                elif "allow" in form.buttons.get("decision", []):
                    self.pages.append("consent")
                    self.consent_text = " ".join(" ".join(form.text).split())
                    fields["decision"] = "allow"
                else:
                    raise Failure(f"unexpected form at {response.url.path}")
                response = await http.post(response.url.join(form.action), data=fields)
            raise Failure("too many steps before the redirect back to the client")


class Memory:
    """TokenStorage in memory."""

    tokens = None
    client = None

    async def get_tokens(self):  # noqa: ANN201
        return self.tokens

    async def set_tokens(self, tokens) -> None:  # noqa: ANN001
        self.tokens = tokens

    async def get_client_info(self):  # noqa: ANN201
        return self.client

    async def set_client_info(self, client) -> None:  # noqa: ANN001
        self.client = client


def payload(result: Any) -> Any:
    if result.structured_content is not None:
        return result.structured_content
    text = "\n".join(b.text for b in result.content if getattr(b, "type", None) == "text")
    try:
        return json.loads(text)
    except ValueError:
        return text


async def run(url: str) -> None:
    import anyio
    import httpx2
    from mcp import Client
    from mcp.client.auth import OAuthClientProvider
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

    browser = Browser()
    token_requests: list[str] = []

    async def on_request(request: Any) -> None:
        if request.url.path == "/oauth/token":
            try:
                body = request.content.decode()
            except Exception:  # noqa: BLE001 - a streamed body: the grant type stays unknown
                body = ""
            token_requests.append(parse_qs(body).get("grant_type", ["?"])[0])

    async def callback() -> AuthorizationCodeResult:
        return AuthorizationCodeResult(code=browser.result["code"], state=browser.result["state"], iss=browser.result["iss"])

    storage = Memory()
    provider = OAuthClientProvider(
        server_url=url,
        storage=storage,
        redirect_handler=browser.drive,
        callback_handler=callback,
        client_metadata=OAuthClientMetadata(
            client_name="Python SDK end-to-end",
            redirect_uris=[REDIRECT],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
    )
    http = httpx2.AsyncClient(auth=provider, timeout=30, event_hooks={"request": [on_request]})
    async with http:
        with anyio.fail_after(60):
            async with Client(streamable_http_client(url, http_client=http), mode="legacy", cache=None) as client:
                tools = [t.name for t in (await client.list_tools()).tools]
                search = await client.call_tool("search_records", SEARCH_ARGS)
                context = await client.call_tool("get_current_context", {})
                emit(
                    {
                        "phase": "connected",
                        "client_id": storage.client.client_id,
                        "pages": browser.pages,
                        "login_text": browser.login_text,
                        "consent_text": browser.consent_text,
                        "iss": browser.result.get("iss"),
                        "scope": storage.tokens.scope,
                        "tools": tools,
                        "search": payload(search),
                        "search_is_error": search.is_error,
                        "context": payload(context),
                        "token_requests": token_requests,
                    }
                )
                wait_for_caller()

                # The access token has expired (the caller moved the gateway's clock past its
                # hour): tell the provider so, and the next call refreshes first.
                before = storage.tokens.access_token
                provider.context.token_expiry_time = 1.0  # 1970: expired (0 would mean 'unknown')
                tools_after = (await client.list_tools()).tools
                emit(
                    {
                        "phase": "refreshed",
                        "token_requests": token_requests,
                        "access_token_changed": storage.tokens.access_token != before,
                        "tools": len(tools_after),
                    }
                )
                wait_for_caller()

    # Revoked in the console by an administrator: the next call with the current token is refused.
    async with httpx2.AsyncClient(timeout=30) as plain:
        response = await plain.post(
            url,
            headers={
                "Authorization": f"Bearer {storage.tokens.access_token}",
                "Content-Type": "application/json",
                "Accept": "application/json, text/event-stream",
            },
            content=json.dumps({"jsonrpc": "2.0", "id": 9, "method": "tools/list"}),
        )
        emit(
            {
                "phase": "after_revocation",
                "status": response.status_code,
                "www_authenticate": response.headers.get("www-authenticate"),
            }
        )


def describe(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc or repr(exc)}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the gateway's MCP URL")
    parser.add_argument("--secret", default="demo", help="demo's Odoo password or API key")
    args = parser.parse_args(argv)
    global SECRET
    SECRET = args.secret
    try:
        import anyio
    except ImportError as e:
        print(f"oauth_flow: the MCP SDK is not installed in {sys.executable} ({e}); run .ci/setup", file=sys.stderr)
        return 1
    try:
        anyio.run(run, args.url)
    except Exception as e:  # noqa: BLE001 - every failure becomes one clear line
        print(f"oauth_flow: {describe(e)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
