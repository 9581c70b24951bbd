"""Real SFTP servers for the sftp_ingest tests: OpenSSH sshd and the embedded asyncssh server.

`sftp_server` is parametrized over both, so every integration test runs against each. The sshd
variant needs root (it creates throwaway system users and root-owned chroots) and /usr/sbin/sshd;
it skips with the reason otherwise. `TcpProxy` (tcp_proxy.py, a module of its own so that test
modules import it by a name no other test folder uses) is a loopback TCP forwarder the tests control.
"""

from __future__ import annotations

import fcntl
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from needs import missing

from sftp_ingest import client
from sftp_ingest.server import EmbeddedSftpServer, make_keypair

SSHD = "/usr/sbin/sshd"
COMPANIES = ("acme", "globex")
BANK = "bank"
COMPANY_FOLDERS = ("inbox", "archive", "rejected", "reports")
BANK_FOLDERS = ("outgoing", "returns")


@dataclass
class SftpServerHandle:
    kind: str
    port: int
    known_hosts: str
    public_host_key: str  # "ssh-ed25519 AAAA..."
    users: dict[str, str]  # role (acme, globex, bank) -> login name
    keys: dict[str, str]  # role -> private key path
    homes: dict[str, Path]  # role -> the folder the user sees as "/"
    host: str = "127.0.0.1"

    def connect(self, role: str, port: int | None = None, known_hosts: str | None = None, **kw):
        return client.connect(self.host, port or self.port, self.users[role], self.keys[role],
                              known_hosts or self.known_hosts, timeout=kw.pop("timeout", 5.0), **kw)

    def known_hosts_for_port(self, port: int, folder: Path) -> str:
        """A known_hosts pinning this server's key at another port (a proxy in front of it)."""
        path = folder / f"known_hosts_{port}"
        path.write_text(f"[{self.host}]:{port} {self.public_host_key}\n")
        return str(path)


def _folders_for(role: str) -> tuple[str, ...]:
    return BANK_FOLDERS if role == BANK else COMPANY_FOLDERS


def _clean_homes(handle: SftpServerHandle) -> None:
    for role, home in handle.homes.items():
        for sub in _folders_for(role):
            folder = home / sub
            for child in folder.iterdir():
                shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()


@pytest.fixture(scope="session")
def user_keys(tmp_path_factory) -> dict[str, tuple[str, str]]:
    keys = tmp_path_factory.mktemp("client-keys")
    return {role: make_keypair(keys / role) for role in (*COMPANIES, BANK)}


@pytest.fixture(scope="session")
def embedded_server(tmp_path_factory, user_keys) -> Iterator[SftpServerHandle]:
    base = tmp_path_factory.mktemp("embedded")
    root = base / "root"
    homes = {}
    for role in user_keys:
        homes[role] = root / role
        for sub in _folders_for(role):
            (homes[role] / sub).mkdir(parents=True)
    (root / "outside.txt").write_text("not yours\n")
    users = {role: role for role in user_keys}
    with EmbeddedSftpServer(root, {role: pub for role, (_, pub) in user_keys.items()}) as server:
        yield SftpServerHandle(
            kind="embedded", port=server.port, known_hosts=server.write_known_hosts(base / "known_hosts"),
            public_host_key=server.public_host_key, users=users,
            keys={role: priv for role, (priv, _) in user_keys.items()}, homes=homes,
        )


def _root_owned_base() -> Path:
    """A fresh folder whose every ancestor is root-owned and not group/world writable (sshd's chroot rule)."""
    for parent in ("/run", "/var/lib", "/srv"):
        chain = [Path(parent), *Path(parent).parents]
        if all(p.stat().st_uid == 0 and not p.stat().st_mode & 0o022 for p in chain):
            base = Path(tempfile.mkdtemp(prefix="paygo-sshd-", dir=parent))
            base.chmod(0o755)
            return base
    pytest.skip("no root-owned, non-world-writable folder to hold sshd chroots")


def _ensure_user(name: str) -> None:
    with open("/run/paygo-test-useradd.lock", "w") as lock:  # xdist workers share /etc/passwd
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            pwd.getpwnam(name)
        except KeyError:
            # "*" (not "!") so sshd does not treat the key-only account as locked.
            subprocess.run(["useradd", "--no-create-home", "--home-dir", "/", "--shell", "/usr/sbin/nologin",
                            "--password", "*", name], check=True, capture_output=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_banner(proc: subprocess.Popen, port: int, log: Path) -> None:
    for _ in range(200):  # bounded: about 10 s of 50 ms waits on the process
        if proc.poll() is not None:
            pytest.skip(f"sshd exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(64).startswith(b"SSH-"):
                    return
        except OSError:
            pass
        try:
            proc.wait(timeout=0.05)
        except subprocess.TimeoutExpired:
            pass
    pytest.skip(f"sshd did not answer on port {port}: {log.read_text()[-2000:]}")


@pytest.fixture(scope="session")
def sshd_server(user_keys) -> Iterator[SftpServerHandle]:
    if os.geteuid() != 0:
        missing("sshd tests need root: they create system users and root-owned chroot folders")
    if not os.access(SSHD, os.X_OK) or not shutil.which("ssh-keygen"):
        missing(f"OpenSSH server not installed ({SSHD}); apt-get install -y openssh-server")
    token = secrets.token_hex(2)
    users = {role: f"pgt{token}{role}" for role in user_keys}
    base = _root_owned_base()
    proc = None
    try:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation folder
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(base / "host_key")], check=True)
        (base / "keys").mkdir(mode=0o755)
        chroot = base / "chroot"
        chroot.mkdir(mode=0o755)
        (chroot / "outside.txt").write_text("not yours\n")
        homes = {}
        for role, user in users.items():
            _ensure_user(user)
            entry = pwd.getpwnam(user)
            (base / "keys" / user).write_text(user_keys[role][1] + "\n")
            homes[role] = chroot / user
            homes[role].mkdir(mode=0o755)  # root-owned: sshd refuses a chroot the user could write
            for sub in _folders_for(role):
                (homes[role] / sub).mkdir(mode=0o755)
                os.chown(homes[role] / sub, entry.pw_uid, entry.pw_gid)
        port = _free_port()
        config = base / "sshd_config"
        config.write_text(f"""\
Port {port}
ListenAddress 127.0.0.1
HostKey {base / "host_key"}
PidFile none
UsePAM no
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile {base / "keys"}/%u
AllowUsers {" ".join(users.values())}
Subsystem sftp internal-sftp
ChrootDirectory {chroot}/%u
ForceCommand internal-sftp
AllowTcpForwarding no
X11Forwarding no
LogLevel VERBOSE
""")
        check = subprocess.run([SSHD, "-t", "-f", str(config)], capture_output=True, text=True)
        if check.returncode != 0:
            pytest.skip(f"sshd rejects the test config: {check.stderr.strip()}")
        log = base / "sshd.log"
        with open(log, "wb") as log_file:
            proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=log_file, stderr=log_file)
        _wait_for_banner(proc, port, log)
        public_host_key = " ".join((base / "host_key.pub").read_text().split()[:2])
        known_hosts = base / "known_hosts"
        known_hosts.write_text(f"[127.0.0.1]:{port} {public_host_key}\n")
        yield SftpServerHandle(
            kind="sshd", port=port, known_hosts=str(known_hosts), public_host_key=public_host_key,
            users=users, keys={role: priv for role, (priv, _) in user_keys.items()}, homes=homes,
        )
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)
        shutil.rmtree(base, ignore_errors=True)
        for user in users.values():
            subprocess.run(["userdel", user], capture_output=True)


@pytest.fixture(scope="session", params=["embedded", pytest.param("sshd", marks=pytest.mark.sshd)])
def sftp_server(request) -> SftpServerHandle:
    return request.getfixturevalue(f"{request.param}_server")


@pytest.fixture
def server(sftp_server) -> SftpServerHandle:
    """The server with every company and bank folder emptied before the test."""
    _clean_homes(sftp_server)
    return sftp_server
