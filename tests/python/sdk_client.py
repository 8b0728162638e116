#!/usr/bin/env python3
"""Drives the gateway's /mcp endpoint with the official Python MCP SDK (mcp 2.x).

Run with the venv python that .ci/setup creates (scripts/test exports it as $PYTHON_MCP):

    $PYTHON_MCP tests/python/sdk_client.py --url http://127.0.0.1:PORT/mcp --key omg_...

Normal mode: streamable HTTP, the legacy `initialize` handshake, `tools/list`, then
`search_records` and `get_current_context`. Prints ONE JSON object on stdout:

    {"protocol_version": "...", "tools": [names], "search": <structuredContent, else the
     parsed text of the result>, "search_is_error": bool, "context": ..., "context_is_error": bool}

and exits 0. Any failure (connection refused, HTTP error, JSON-RPC error, timeout) exits 1
with a one-line reason on stderr and nothing on stdout.

`--approval-flow`: calls `update_record` (which the connection must gate) with the JSON
arguments of `--approval-args`, prints the `pending_approval` result as ONE JSON line
(`{"pending": ...}`) and flushes, then polls `get_approval_status` every `--poll-interval`
seconds in the same MCP session until the state is no longer pending or approved, and prints
`{"final": ..., "polls": n}` as a second line. The test approves the request in between.

`--calls '[[tool, {arguments}], ...]'`: calls each tool in turn in one session and prints
`{"calls": [{"tool": ..., "is_error": bool, "payload": ...}]}`. The SDK checks every result that
is not an error against the tool's output schema, and a mismatch fails the run.

`--business-flow '{"customer": id, "company_id": id}'`: one sales flow in one session, each
step using the answers before it — `create_record` of a quotation for the customer in that
company, `post_note` and `schedule_activity` on it, `list_actions` and `run_action`
action_confirm, `print_report`, then the download link fetched twice over plain HTTP (no
credential: the link is its own). Prints `{"steps": {tool: payload}, "order_id": id,
"download": {"status", "content_type", "body"}, "second_fetch_status": int}`; a tool error
fails the run.

`--confirm-flow accept|decline`: protocol 2026-07-28 (no handshake: `server/discover`, then
per-request `_meta`) with an elicitation callback that records the question and answers it
(accept with `confirm: true`, or decline); calls `--approval-tool` with `--approval-args`, which
the connection must have under "Tools to confirm in chat". The SDK's own multi round-trip
driver answers `input_required` and retries. Prints `{"protocol_version": ..., "asked": [{"message",
"schema"}], "is_error": bool, "payload": ...}`.

`--expect-unauthorized`: connects with the given key and exits 0 only if the server answered
the first request with HTTP 401; prints what it saw (status, WWW-Authenticate) as JSON on
stdout either way, and a reason on stderr when it was not a 401.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

USAGE_ERROR = 2
FAILED = 1

SEARCH_ARGS = {
    "model": "res.partner",
    "domain": [["is_company", "=", True]],
    "fields": ["name"],
    "limit": 5,
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the gateway's MCP URL, e.g. http://127.0.0.1:8080/mcp")
    parser.add_argument("--key", required=True, help="API key, sent as 'Authorization: Bearer <key>'")
    parser.add_argument(
        "--expect-unauthorized",
        action="store_true",
        help="succeed only if the server answers 401 to this key",
    )
    parser.add_argument(
        "--approval-flow",
        action="store_true",
        help="call a gated tool, print pending_approval, then poll get_approval_status to the end",
    )
    parser.add_argument("--approval-tool", default="update_record", help="the gated tool (default update_record)")
    parser.add_argument("--approval-args", default="{}", help="its arguments, as JSON")
    parser.add_argument(
        "--confirm-flow",
        choices=["accept", "decline"],
        default=None,
        help="2026-07-28 with an elicitation callback giving this answer; call --approval-tool",
    )
    parser.add_argument("--calls", default=None, help="tools to call in turn, as JSON [[tool, arguments], ...]")
    parser.add_argument("--business-flow", default=None, help='run the sales flow, JSON {"customer": id, "company_id": id}')
    parser.add_argument("--poll-interval", type=float, default=0.2, help="seconds between polls (default 0.2)")
    parser.add_argument("--timeout", type=float, default=60.0, help="overall timeout in seconds (default 60)")
    args = parser.parse_args(argv)
    if not args.url.startswith(("http://", "https://")):
        parser.error(f"--url must be an http(s) URL, got {args.url!r}")
    if not args.key.strip():
        parser.error("--key must not be empty")
    if args.timeout <= 0:
        parser.error("--timeout must be positive")
    args.approval_args = json_arg(
        parser, "--approval-args", args.approval_args, lambda v: isinstance(v, dict), "a JSON object"
    )
    if args.calls is not None:
        args.calls = json_arg(
            parser,
            "--calls",
            args.calls,
            lambda v: isinstance(v, list)
            and all(isinstance(c, list) and len(c) == 2 and isinstance(c[0], str) and isinstance(c[1], dict) for c in v),
            "a JSON list of [tool, {arguments}] pairs",
        )
    if args.business_flow is not None:
        args.business_flow = json_arg(
            parser,
            "--business-flow",
            args.business_flow,
            lambda v: isinstance(v, dict) and all(isinstance(v.get(k), int) for k in ("customer", "company_id")),
            '{"customer": id, "company_id": id}',
        )
    return args


def json_arg(parser: argparse.ArgumentParser, flag: str, text: str, fits: Any, shape: str) -> Any:
    """The JSON value of `flag`, or a usage error naming the flag and the expected shape."""
    try:
        value = json.loads(text)
    except ValueError as e:
        parser.error(f"{flag} must be JSON: {e}")
    if not fits(value):
        parser.error(f"{flag} must be {shape}")
    return value


class Failure(Exception):
    """A failure with a message meant for a person reading the test log."""


class HttpLog:
    """Records every HTTP response the SDK's transport receives (the SDK hides statuses)."""

    def __init__(self) -> None:
        self.responses: list[dict[str, Any]] = []

    async def on_response(self, response: Any) -> None:
        self.responses.append(
            {
                "method": response.request.method,
                "status": response.status_code,
                "www_authenticate": response.headers.get("www-authenticate"),
                "content_type": response.headers.get("content-type"),
            }
        )

    def first_error(self) -> dict[str, Any] | None:
        return next((r for r in self.responses if r["status"] >= 400), None)


def tool_payload(result: Any) -> Any:
    """structuredContent when the server sent it, else the text content parsed as JSON if it is."""
    if result.structured_content is not None:
        return result.structured_content
    texts = [block.text for block in result.content if getattr(block, "type", None) == "text"]
    text = "\n".join(texts)
    try:
        return json.loads(text)
    except ValueError:
        return text


def describe(exc: BaseException) -> str:
    """The innermost meaningful message of an exception (task groups wrap them in groups)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    message = str(exc) or repr(exc)
    return f"{type(exc).__name__}: {message}"


async def run(args: argparse.Namespace, log: HttpLog) -> dict[str, Any]:
    import anyio
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    http = httpx2.AsyncClient(
        headers={"Authorization": f"Bearer {args.key}"},
        timeout=httpx2.Timeout(30.0, read=args.timeout),
        event_hooks={"response": [log.on_response]},
    )
    async with http:
        transport = streamable_http_client(args.url, http_client=http)
        if args.confirm_flow is not None:
            with anyio.fail_after(args.timeout):
                return await confirm_flow(transport, args)
        with anyio.fail_after(args.timeout):
            # mode="legacy": the initialize handshake of protocol revisions up to 2025-11-25;
            # cache=None: every list and call really reaches the gateway.
            async with Client(transport, mode="legacy", cache=None) as client:
                protocol_version = client.protocol_version
                if args.expect_unauthorized:
                    return {"protocol_version": protocol_version}
                if args.approval_flow:
                    return await approval_flow(client, args)
                if args.business_flow is not None:
                    return await business_flow(client, args.business_flow)
                if args.calls is not None:
                    calls = []
                    for tool, arguments in args.calls:
                        result = await client.call_tool(tool, arguments)
                        calls.append({"tool": tool, "is_error": result.is_error, "payload": tool_payload(result)})
                    return {"calls": calls}
                tools: list[str] = []
                cursor = None
                while True:
                    page = await client.list_tools(cursor=cursor)
                    tools.extend(tool.name for tool in page.tools)
                    cursor = page.next_cursor
                    if not cursor:
                        break
                search = await client.call_tool("search_records", SEARCH_ARGS)
                context = await client.call_tool("get_current_context", {})
                return {
                    "protocol_version": protocol_version,
                    "tools": tools,
                    "search": tool_payload(search),
                    "search_is_error": search.is_error,
                    "context": tool_payload(context),
                    "context_is_error": context.is_error,
                }


async def confirm_flow(transport: Any, args: argparse.Namespace) -> dict[str, Any]:
    """A 2026-07-28 session whose person answers the in-chat confirmation with --confirm-flow."""
    from mcp import Client
    from mcp.types import ElicitResult

    asked: list[dict[str, Any]] = []

    async def person(context: Any, params: Any) -> ElicitResult:
        asked.append({"message": params.message, "schema": params.requested_schema})
        if args.confirm_flow == "accept":
            return ElicitResult(action="accept", content={"confirm": True})
        return ElicitResult(action="decline")

    # mode="auto": server/discover, then the newest protocol both speak (2026-07-28).
    async with Client(transport, mode="auto", cache=None, elicitation_callback=person) as client:
        result = await client.call_tool(args.approval_tool, args.approval_args)
        return {
            "protocol_version": client.protocol_version,
            "asked": asked,
            "is_error": result.is_error,
            "payload": tool_payload(result),
        }


FINAL_STATES = {"executed", "failed", "rejected", "expired"}


async def approval_flow(client: Any, args: argparse.Namespace) -> dict[str, Any]:
    """The gated call answers pending_approval at once; poll get_approval_status to the end."""
    import anyio

    held = await client.call_tool(args.approval_tool, args.approval_args)
    pending = tool_payload(held)
    if held.is_error or not isinstance(pending, dict) or pending.get("status") != "pending_approval":
        raise Failure(f"{args.approval_tool} was not held for approval: {pending!r}")
    # The first line tells the test the request exists, so it can be decided.
    print(json.dumps({"pending": pending}), flush=True)
    polls = 0
    while True:
        polls += 1
        answer = await client.call_tool("get_approval_status", {"approval_id": pending["approval_id"]})
        status = tool_payload(answer)
        if answer.is_error:
            raise Failure(f"get_approval_status failed: {status!r}")
        if status.get("state") in FINAL_STATES:
            return {"final": status, "polls": polls}
        await anyio.sleep(args.poll_interval)


async def business_flow(client: Any, flow: dict[str, int]) -> dict[str, Any]:
    """A quotation from creation to its printed copy, as an assistant would walk it."""
    import httpx2

    steps: dict[str, Any] = {}

    async def call(tool: str, arguments: dict[str, Any]) -> Any:
        result = await client.call_tool(tool, arguments)
        payload = tool_payload(result)
        if result.is_error:
            raise Failure(f"{tool} failed: {payload!r}")
        steps[tool] = payload
        return payload

    company = flow["company_id"]
    created = await call(
        "create_record",
        {"model": "sale.order", "values": {"partner_id": flow["customer"]}, "company_id": company},
    )
    order = created["id"]
    record = {"model": "sale.order", "id": order, "company_id": company}
    await call("post_note", {**record, "body": "Customer asked for delivery on Monday."})
    await call("schedule_activity", {**record, "summary": "Call to confirm delivery"})
    actions = await call("list_actions", record)
    if not any(a.get("name") == "action_confirm" for a in actions.get("actions", [])):
        raise Failure(f"the quotation offers no Confirm button: {actions!r}")
    await call("run_action", {**record, "action": "action_confirm"})
    printed = await call("print_report", {"model": "sale.order", "ids": [order], "company_id": company})
    url = printed["download"]["url"]
    async with httpx2.AsyncClient(timeout=60.0) as plain:
        first = await plain.get(url)
        second = await plain.get(url)
    return {
        "steps": steps,
        "order_id": order,
        "download": {
            "status": first.status_code,
            "content_type": first.headers.get("content-type"),
            "body": first.text,
        },
        "second_fetch_status": second.status_code,
    }


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        import anyio
    except ImportError as e:
        print(f"sdk_client: the MCP SDK is not installed in {sys.executable} ({e}); run .ci/setup", file=sys.stderr)
        return FAILED

    log = HttpLog()
    outcome: dict[str, Any] | None = None
    error: str | None = None
    try:
        outcome = anyio.run(run, args, log)
    except TimeoutError:
        error = f"no answer from {args.url} within {args.timeout:g}s"
    except Exception as e:  # noqa: BLE001 - every failure becomes one clear line
        error = describe(e)

    if args.expect_unauthorized:
        seen = log.first_error()
        report = {"responses": log.responses, "error": error}
        print(json.dumps(report))
        if seen is not None and seen["status"] == 401:
            return 0
        if error is None:
            reason = "the server accepted the key"
        elif seen is not None:
            reason = f"the server answered HTTP {seen['status']}, not 401"
        else:
            reason = error
        print(f"sdk_client: expected HTTP 401 from {args.url}, but {reason}", file=sys.stderr)
        return FAILED

    if error is not None:
        seen = log.first_error()
        http = f" (HTTP {seen['status']} to {seen['method']})" if seen else ""
        print(f"sdk_client: MCP session with {args.url} failed{http}: {error}", file=sys.stderr)
        return FAILED
    print(json.dumps(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
