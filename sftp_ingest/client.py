"""Opening an SFTP session (paramiko): pinned host keys, key authentication, bounded retries.

Rules (design.md, style.md "Pin SFTP host keys"):
- The server's host key must be in the given known_hosts file under ``host`` (port 22) or
  ``[host]:port``. An unknown host or a changed key raises `HostKeyError` naming the host and the
  SHA256 fingerprint the server presented (the form ``ssh-keygen -lf`` prints). Never trust on
  first use: paramiko's ``RejectPolicy``, never ``AutoAddPolicy``/``WarningPolicy``.
- Authentication is by private key only: no password, no agent, no ``~/.ssh`` key search.
- Network faults while connecting (refused, reset, timeout, no SSH banner) are retried with
  exponential backoff: ``attempts=4, backoff_seconds=0.5`` sleeps 0.5, 1.0, 2.0 s between the four
  tries, then re-raises. Host-key and authentication failures are never retried: they will not
  fix themselves. Operations on an open session are not retried here: the caller's next sensor
  tick is the retry, and every operation leaves the remote side as it was when it fails.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import paramiko

DEFAULT_TIMEOUT_SECONDS = 15.0


class HostKeyError(paramiko.SSHException):
    """The server's host key is not the pinned one (unknown host or changed key)."""

    def __init__(self, host: str, fingerprint: str, reason: str):
        self.host = host
        self.fingerprint = fingerprint
        self.reason = reason
        super().__init__(f"refusing SFTP server {host}: {reason}; it presented host key {fingerprint}")


class _RejectUnknownHost(paramiko.RejectPolicy):
    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        raise HostKeyError(hostname, key.fingerprint, "host not in known_hosts")


def _is_network_fault(error: BaseException) -> bool:
    if isinstance(error, (HostKeyError, paramiko.BadHostKeyException, paramiko.AuthenticationException)):
        return False
    return isinstance(error, (OSError, EOFError, socket.timeout, paramiko.SSHException))


def open_ssh(
    host: str,
    port: int,
    username: str,
    private_key_path: str,
    known_hosts_path: str,
    *,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    attempts: int = 4,
    backoff_seconds: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> paramiko.SSHClient:
    """A connected, authenticated SSHClient; the caller closes it."""
    pkey = paramiko.PKey.from_path(private_key_path)
    for attempt in range(1, attempts + 1):
        ssh = paramiko.SSHClient()
        ssh.load_host_keys(known_hosts_path)
        ssh.set_missing_host_key_policy(_RejectUnknownHost())
        try:
            ssh.connect(
                host,
                port=port,
                username=username,
                pkey=pkey,
                allow_agent=False,
                look_for_keys=False,
                timeout=timeout,
                banner_timeout=timeout,
                auth_timeout=timeout,
                channel_timeout=timeout,
            )
            return ssh
        except paramiko.BadHostKeyException as e:
            ssh.close()
            raise HostKeyError(
                _known_hosts_name(host, port), e.key.fingerprint,
                f"host key changed (known_hosts pins {e.expected_key.fingerprint})",
            ) from None
        except Exception as e:
            ssh.close()
            if attempt == attempts or not _is_network_fault(e):
                raise
            sleep(backoff_seconds * 2 ** (attempt - 1))
    raise AssertionError("unreachable")  # pragma: no cover


def _known_hosts_name(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


@contextmanager
def connect(
    host: str,
    port: int,
    username: str,
    private_key_path: str,
    known_hosts_path: str,
    *,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    attempts: int = 4,
    backoff_seconds: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[paramiko.SFTPClient]:
    """An SFTP session for the duration of the `with` block; reads time out after `timeout` s."""
    ssh = open_ssh(
        host, port, username, private_key_path, known_hosts_path,
        timeout=timeout, attempts=attempts, backoff_seconds=backoff_seconds, sleep=sleep,
    )
    try:
        sftp = ssh.open_sftp()
        sftp.get_channel().settimeout(timeout)
        try:
            yield sftp
        finally:
            _close_quietly(sftp)
    finally:
        _close_quietly(ssh)


def _close_quietly(closable: paramiko.SFTPClient | paramiko.SSHClient) -> None:
    # Closing a session whose connection already dropped raises (EOFError, SSHException); that
    # must not replace the error that explains the drop, and there is nothing left to release.
    try:
        closable.close()
    except (OSError, EOFError, paramiko.SSHException):
        pass
