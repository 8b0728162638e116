#!/usr/bin/env bash
# Connects mcp-remote (the stdio↔HTTP bridge Claude Desktop and other local clients use) to the
# gateway with OAuth, the way a person would, and checks that it lists the tools:
#
#   1. installs mcp-remote@0.15.1 into a temporary npm prefix (Node 20 is enough);
#   2. starts `odoo-mcp-gateway demo` (the built-in Odoo simulator) on a free port;
#   3. runs `mcp-remote-client <MCP URL> <callback port>`, which discovers the authorization
#      server from the 401, registers itself, and prints an authorization URL;
#   4. plays the browser: signs in as demo/demo on the console's sign-in page (where the
#      authorization step sends it), allows access on the consent form, and delivers the code
#      to mcp-remote's loopback callback;
#   5. passes when mcp-remote lists search_records.
#
# Usage: scripts/oauth-mcp-remote.sh [path/to/odoo-mcp-gateway]   (default: target/debug, built
# with `cargo build` when missing). VERBOSE=1 shows mcp-remote's output. Not part of CI (it downloads from npm). Needs node, npm,
# curl and python3.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

MCP_REMOTE_VERSION=0.15.1
BIN=${1:-target/debug/odoo-mcp-gateway}
WORK=$(mktemp -d)
GATEWAY_PID=""
cleanup() {
    [ -n "$GATEWAY_PID" ] && kill "$GATEWAY_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
log() { echo "[oauth-mcp-remote] $*" >&2; }
die() { echo "[oauth-mcp-remote] FAILED: $*" >&2; exit 1; }

for tool in node npm curl python3; do
    command -v "$tool" >/dev/null || die "$tool is required"
done
[ -x "$BIN" ] || { log "building the gateway"; cargo build --quiet; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

log "installing mcp-remote@$MCP_REMOTE_VERSION into $WORK/npm"
npm install --silent --no-audit --no-fund --prefix "$WORK/npm" "mcp-remote@$MCP_REMOTE_VERSION" >&2

PORT=$(free_port)
CALLBACK_PORT=$(free_port)
log "starting the demo gateway on 127.0.0.1:$PORT"
"$BIN" demo --listen "127.0.0.1:$PORT" --data-dir "$WORK/data" >"$WORK/gateway.log" 2>&1 &
GATEWAY_PID=$!
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
    kill -0 "$GATEWAY_PID" 2>/dev/null || die "the gateway did not start: $(cat "$WORK/gateway.log")"
    sleep 0.2
done
URL="http://127.0.0.1:$PORT/mcp"

# The browser: follow the authorization URL through the sign-in and consent forms; print where
# the gateway finally sends the browser (mcp-remote's callback, with the code).
cat >"$WORK/browser.py" <<'PY'
import sys, urllib.parse, urllib.request, urllib.error, http.cookiejar
from html.parser import HTMLParser

class Form(HTMLParser):
    def __init__(self):
        super().__init__(); self.action = None; self.fields = {}; self.decisions = []
    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and self.action is None: self.action = a.get("action", "")
        if tag == "input" and "name" in a: self.fields[a["name"]] = a.get("value", "")
        if tag == "button" and a.get("name") == "decision": self.decisions.append(a.get("value"))

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs): return None

jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPCookieProcessor(jar))
gateway = sys.argv[2]  # anything outside the gateway is the client's callback
url, data = sys.argv[1], None
for _ in range(12):
    try:
        response = opener.open(url, data)
        status, body, location = response.status, response.read().decode(), None
    except urllib.error.HTTPError as e:
        status, body, location = e.code, e.read().decode(), e.headers.get("Location")
    if location:
        target = urllib.parse.urljoin(url, location)
        if not target.startswith(gateway):
            print(target); sys.exit(0)
        url, data = target, None
        continue
    if status != 200:
        sys.exit(f"HTTP {status} at {url}: {body[:300]}")
    form = Form(); form.feed(body)
    fields = dict(form.fields)
    if form.action == "/console/login":
        print("browser: signing in as demo on the console's sign-in page", file=sys.stderr)
        fields.update(login="demo", secret="demo")
    elif "allow" in form.decisions:
        print("browser: allowing access on the consent page", file=sys.stderr)
        fields["decision"] = "allow"
    else:
        sys.exit(f"unexpected page at {url}")
    url, data = urllib.parse.urljoin(url, form.action), urllib.parse.urlencode(fields).encode()
sys.exit("too many steps")
PY

log "running mcp-remote-client $URL $CALLBACK_PORT"
export MCP_REMOTE_CONFIG_DIR="$WORK/mcp-auth"
coproc MR { "$WORK/npm/node_modules/.bin/mcp-remote-client" "$URL" "$CALLBACK_PORT" 2>&1; }
# bash unsets MR and MR_PID when the coprocess ends: keep a copy of both.
MR_PID_SAVED=$MR_PID
exec {MR_OUT}<&"${MR[0]}"
OUT="$WORK/mcp-remote.log"
while IFS= read -r line <&"$MR_OUT"; do
    echo "$line" >>"$OUT"
    if [[ "$line" =~ (https?://[^[:space:]]*/oauth/authorize\?[^[:space:]]*) ]]; then
        log "authorization URL received; playing the browser"
        LOCATION=$(python3 "$WORK/browser.py" "${BASH_REMATCH[1]}" "http://127.0.0.1:$PORT/") ||
            die "the browser could not get through sign-in and consent"
        log "delivering the code to mcp-remote's callback"
        curl -s -o /dev/null --retry 30 --retry-connrefused --retry-delay 1 "$LOCATION" &
    fi
done
wait "$MR_PID_SAVED" || die "mcp-remote-client exited with an error; its output:
$(cat "$OUT")"
[ -n "${VERBOSE:-}" ] && cat "$OUT" >&2
grep -q 'search_records' "$OUT" ||
    die "mcp-remote connected but did not list search_records; its output:
$(cat "$OUT")"
log "OK: mcp-remote connected with OAuth and listed the tools (search_records among them)"
