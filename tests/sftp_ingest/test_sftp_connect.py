"""Pins how sessions open (sftp_ingest.client.connect) against real servers: host keys are pinned
(unknown host and changed key refused with a clear HostKeyError, never retried), only key
authentication works, and network faults are retried a bounded number of times with
exponential backoff through an injected sleep (no real sleeping)."""

import base64
import hashlib

import paramiko
import pytest

from tcp_proxy import TcpProxy
from sftp_ingest import client
from sftp_ingest.server import make_keypair


def openssh_fingerprint(public_key: str) -> str:
    blob = base64.b64decode(public_key.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def test_pinned_key_connects(server):
    with server.connect("acme") as sftp:
        assert sorted(sftp.listdir("/")) == ["archive", "inbox", "rejected", "reports"]


def test_unknown_host_is_refused(server, tmp_path):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    sleeps = []
    with pytest.raises(client.HostKeyError) as refused:
        with server.connect("acme", known_hosts=str(empty), sleep=sleeps.append):
            pass
    e = refused.value
    assert e.host == f"[127.0.0.1]:{server.port}"
    assert e.fingerprint == openssh_fingerprint(server.public_host_key)
    assert "not in known_hosts" in str(e) and e.fingerprint in str(e)
    assert sleeps == []  # a host-key refusal is not a network fault: no retry


def test_known_key_on_another_port_is_unknown_here(server, tmp_path):
    # known_hosts pins [127.0.0.1]:<port>; the same key listed for port 1 does not vouch for this one.
    other = tmp_path / "known_hosts"
    other.write_text(f"[127.0.0.1]:1 {server.public_host_key}\n")
    with pytest.raises(client.HostKeyError, match="not in known_hosts"):
        with server.connect("acme", known_hosts=str(other)):
            pass


def test_changed_host_key_is_refused(server, tmp_path):
    _, impostor_pinned = make_keypair(tmp_path / "old_host_key")  # what known_hosts remembers
    pinned = tmp_path / "known_hosts"
    pinned.write_text(f"[127.0.0.1]:{server.port} {impostor_pinned}\n")
    sleeps = []
    with pytest.raises(client.HostKeyError) as refused:
        with server.connect("acme", known_hosts=str(pinned), sleep=sleeps.append):
            pass
    e = refused.value
    assert "host key changed" in e.reason
    assert e.fingerprint == openssh_fingerprint(server.public_host_key)  # what the server presented
    assert openssh_fingerprint(impostor_pinned) in str(e)                # what we expected
    assert sleeps == []


def test_wrong_client_key_is_refused_without_retry(server, tmp_path):
    stranger, _ = make_keypair(tmp_path / "stranger")
    sleeps = []
    with pytest.raises(paramiko.AuthenticationException):
        with client.connect("127.0.0.1", server.port, server.users["acme"], stranger, server.known_hosts,
                            timeout=5, sleep=sleeps.append):
            pass
    assert sleeps == []


def test_password_authentication_is_not_offered(server):
    transport = paramiko.Transport(("127.0.0.1", server.port))
    try:
        transport.start_client(timeout=5)
        with pytest.raises(paramiko.BadAuthenticationType) as refused:
            transport.auth_password(server.users["acme"], "guess")
        assert refused.value.allowed_types == ["publickey"]
    finally:
        transport.close()


def test_network_faults_are_retried_with_exponential_backoff(server, tmp_path):
    # The proxy drops the first two connections before the SSH banner; the third gets through.
    sleeps = []
    with TcpProxy(server.port, refuse_first=2) as proxy:
        with server.connect("acme", port=proxy.port, known_hosts=server.known_hosts_for_port(proxy.port, tmp_path),
                            attempts=4, backoff_seconds=0.5, sleep=sleeps.append) as sftp:
            assert "inbox" in sftp.listdir("/")
        assert proxy.accepted == 3
    assert sleeps == [0.5, 1.0]  # 0.5 * 2**0, 0.5 * 2**1


def test_retries_are_bounded(server, tmp_path):
    sleeps = []
    with TcpProxy(server.port, refuse_first=100) as proxy:
        with pytest.raises((paramiko.SSHException, EOFError, OSError)):
            with server.connect("acme", port=proxy.port, known_hosts=server.known_hosts_for_port(proxy.port, tmp_path),
                                attempts=3, backoff_seconds=0.25, sleep=sleeps.append):
                pass
        assert proxy.accepted == 3
    assert sleeps == [0.25, 0.5]  # three tries, two waits: 0.25 * 2**0, 0.25 * 2**1
