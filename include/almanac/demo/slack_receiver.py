"""A local HTTP server standing in for a Slack incoming webhook.

It accepts ``POST`` with a JSON body, as Slack's webhook does, answers ``200 ok``, and records every
body. The real notifier code posts to it through the ``slack_alerts`` connection, whose password is
the receiver's whole URL (see docs/contracts.md#connections). ``make run`` appends the texts to a log file; the
tests read :attr:`SlackReceiver.payloads`. ``fail_with`` makes it answer an error status, and
:meth:`SlackReceiver.go_down` / :meth:`SlackReceiver.come_back` close and reopen its port, to test
that a Slack outage is handled.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class SlackReceiver:
    """Records every JSON body posted to ``http://127.0.0.1:<port>/hook``."""

    def __init__(self, log_file: Path | None = None, port: int = 0) -> None:
        self.payloads: list[dict] = []
        self.fail_with: int | None = None
        self.log_file = log_file
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.fail_with:
                    self.send_response(receiver.fail_with)
                    self.end_headers()
                    self.wfile.write(b"receiver told to fail")
                    return
                try:
                    payload = json.loads(body)
                except ValueError:
                    self.send_response(400)
                    self.end_headers()
                    self.wfile.write(b"invalid_payload")
                    return
                receiver._record(payload)
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

        self._handler = Handler
        self._listen(port)

    def _listen(self, port: int) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="slack-receiver", daemon=True)

    def _record(self, payload: dict) -> None:
        with self._lock:
            self.payloads.append(payload)
            if self.log_file:
                with self.log_file.open("a") as f:
                    f.write(payload.get("text", json.dumps(payload)) + "\n---\n")

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/hook"

    @property
    def texts(self) -> list[str]:
        with self._lock:
            return [p.get("text", "") for p in self.payloads]

    def clear(self) -> None:
        with self._lock:
            self.payloads.clear()
        self.fail_with = None

    def start(self) -> SlackReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def go_down(self) -> None:
        """Close the port, as an unreachable Slack: posts get "connection refused"."""
        self.stop()

    def come_back(self) -> None:
        """Listen again on the same port (the URL in the connection stays valid); payloads are kept."""
        port = self._server.server_address[1]
        self._listen(port)
        self.start()
