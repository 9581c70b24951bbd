"""`TcpProxy`: a loopback TCP forwarder the SFTP tests control, used to refuse connections and to
cut a session in the middle of a download.

It lives here, not in conftest.py: test modules import it by name, and `from conftest import ...`
picks whichever test folder's conftest pytest loaded last (tests/documents has one too)."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field


@dataclass
class TcpProxy:
    """Forwards 127.0.0.1:port to a target port; can refuse connections or cut one mid-stream."""

    target_port: int
    refuse_first: int = 0  # close this many accepted connections at once
    cut_after_bytes: int | None = None  # server->client bytes after which a connection is cut
    port: int = 0
    accepted: int = 0
    _listener: socket.socket = field(default=None, repr=False)
    _sockets: list[socket.socket] = field(default_factory=list, repr=False)

    def __enter__(self) -> TcpProxy:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept_loop, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._listener.close()
        for s in self._sockets:
            _close(s)

    def _accept_loop(self) -> None:
        while True:
            try:
                downstream, _ = self._listener.accept()
            except OSError:
                return
            self.accepted += 1
            if self.accepted <= self.refuse_first:
                _close(downstream)
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self._sockets += [downstream, upstream]
            threading.Thread(target=self._pump, args=(downstream, upstream, None), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, downstream, self.cut_after_bytes),
                             daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket, limit: int | None) -> None:
        sent = 0
        try:
            while data := src.recv(65536):
                dst.sendall(data)
                sent += len(data)
                if limit is not None and sent >= limit:
                    break
        except OSError:
            pass
        _close(src)
        _close(dst)


def _close(s: socket.socket) -> None:
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    s.close()
