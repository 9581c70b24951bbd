"""An embedded SFTP server (asyncssh) for the demo and the tests: loopback, key auth, a root per user.

Each user named in `users` logs in with the private key matching their authorized public key
(passwords and keyboard-interactive are refused) and sees ``root_dir/<user>`` as ``/`` (asyncssh's
``chroot``), so a payroll company can never read another's files or anything outside its home.
The server runs its own asyncio loop in a background thread; the port is picked by the OS unless
given. Clients pin its host key with `known_hosts_line` (``[127.0.0.1]:PORT ssh-ed25519 AAAA...``).

    with EmbeddedSftpServer(root, users={"acme": acme_public_key}) as server:
        server.write_known_hosts(known_hosts)
        with client.connect("127.0.0.1", server.port, "acme", acme_key, known_hosts) as sftp: ...
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import threading
from pathlib import Path

import asyncssh

from sftp_ingest.inbox import is_safe_name


def make_keypair(path: str | os.PathLike[str]) -> tuple[str, str]:
    """Write a new ed25519 private key at `path` (mode 600, OpenSSH format) and `path`.pub.

    Returns (private key path, public key text in authorized_keys form).
    """
    key = asyncssh.generate_private_key("ssh-ed25519")
    private_path = Path(path)
    private_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.export_private_key("openssh"))
    public_text = key.export_public_key("openssh").decode("ascii").strip()
    Path(f"{private_path}.pub").write_text(public_text + "\n")
    return str(private_path), public_text


class _KeyOnlyServer(asyncssh.SSHServer):
    def __init__(self, users: dict[str, str], connections: set[asyncssh.SSHServerConnection]):
        self._users = users
        self._connections = connections
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        self._connections.discard(self._conn)

    def begin_auth(self, username: str) -> bool:
        keys = self._users.get(username)
        if keys is not None:
            self._conn.set_authorized_keys(asyncssh.import_authorized_keys(keys))
        return True  # unknown users get no keys, so public-key auth fails for them

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def public_key_auth_supported(self) -> bool:
        return True


class EmbeddedSftpServer:
    """Context manager: an SFTP server on `host` (loopback) serving `root_dir/<user>` to each user."""

    def __init__(
        self,
        root_dir: str | os.PathLike[str],
        users: dict[str, str],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        host_key_path: str | os.PathLike[str] | None = None,
    ):
        for name in users:
            if not is_safe_name(name):
                raise ValueError(f"unusable SFTP user name: {name!r}")
        self.root_dir = Path(root_dir).resolve()
        self.users = dict(users)
        self.host = host
        self._requested_port = port
        self._own_key_dir: str | None = None
        if host_key_path is None:
            self._own_key_dir = tempfile.mkdtemp(prefix="paygo-sftp-hostkey-")
            host_key_path = Path(self._own_key_dir) / "ssh_host_ed25519_key"
        self.host_key_path = str(host_key_path)
        if not Path(self.host_key_path).exists():  # a kept key keeps clients' known_hosts valid
            make_keypair(self.host_key_path)
        self._host_key = asyncssh.read_private_key(self.host_key_path)
        self._connections: set[asyncssh.SSHServerConnection] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self.port = 0

    @property
    def public_host_key(self) -> str:
        return self._host_key.export_public_key("openssh").decode("ascii").strip()

    @property
    def known_hosts_line(self) -> str:
        name = self.host if self.port == 22 else f"[{self.host}]:{self.port}"
        return f"{name} {self.public_host_key}"

    def write_known_hosts(self, path: str | os.PathLike[str]) -> str:
        Path(path).write_text(self.known_hosts_line + "\n")
        return str(path)

    def _sftp_factory(self, chan: asyncssh.SSHServerChannel) -> asyncssh.SFTPServer:
        home = self.root_dir / chan.get_extra_info("username")
        home.mkdir(parents=True, exist_ok=True)
        return asyncssh.SFTPServer(chan, chroot=str(home).encode())

    async def _start(self) -> None:
        self._acceptor = await asyncssh.listen(
            self.host,
            self._requested_port,
            server_host_keys=[self._host_key],
            server_factory=lambda: _KeyOnlyServer(self.users, self._connections),
            sftp_factory=self._sftp_factory,
            allow_scp=False,
        )
        self.port = self._acceptor.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        self._acceptor.close()
        for conn in list(self._connections):
            conn.close()
        await self._acceptor.wait_closed()

    def __enter__(self) -> EmbeddedSftpServer:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="embedded-sftp", daemon=True)
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)
        except BaseException:
            self._shutdown_loop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=30)
        finally:
            self._shutdown_loop()

    def _shutdown_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()
        if self._own_key_dir is not None:
            shutil.rmtree(self._own_key_dir, ignore_errors=True)
