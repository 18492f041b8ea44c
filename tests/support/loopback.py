"""The HTTP server both API fakes run on: threaded, keep-alive, on 127.0.0.1.

Like a real API server it answers small responses at once (no Nagle delay, which otherwise
costs about 40 ms per response against a client's delayed ACK) and accepts a burst of
parallel connects (a real backlog instead of socketserver's 5).
"""

from __future__ import annotations

import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = socket.SOMAXCONN


class QuietHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        return
