"""pairdb-cli over TLS (--tls, --cacert, --cacertdir, --cert/--key, --sni, --insecure and
rediss:// URLs) against a server's tls-port, side by side with redis-cli given the same
arguments: the same replies and exit codes, and for a certificate that does not verify the
same error text (but for the product name).

The certificates come from test_tls.py's fixture (openssl CLI in a temp dir: a CA, a server
certificate for 127.0.0.1/localhost, client certificates, and a foreign CA).
"""

import shutil
import subprocess

import pytest

from test_pairdb_cli import CLI, REDIS_CLI, run
from test_tls import OPENSSL, certs, tls_args  # noqa: F401 (certs is a fixture)
from conftest import free_port


@pytest.fixture
def tls_srv(start_server, certs):  # noqa: F811
    port = free_port()
    s = start_server(*tls_args(certs, port, "optional"))
    s.tls_port = port
    return s


@pytest.fixture
def strict_srv(start_server, certs):  # noqa: F811
    port = free_port()
    s = start_server(*tls_args(certs, port, "yes"))
    s.tls_port = port
    return s


@pytest.fixture
def ca_dir(certs, tmp_path):  # noqa: F811
    """A hashed CA directory (what --cacertdir expects) holding only the test CA."""
    d = tmp_path / "cas"
    d.mkdir()
    shutil.copy(certs("ca.crt"), str(d / "ca.crt"))
    subprocess.run([OPENSSL, "rehash", str(d)], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return str(d)


def both(args):
    """redis-cli, then pairdb-cli, with the same arguments."""
    return run(REDIS_CLI, args), run(CLI, args)


def assert_same_reply(args, expect_out):
    (rc_ref, out_ref, err_ref), (rc, out, err) = both(args)
    assert (rc_ref, out_ref) == (0, expect_out), err_ref
    assert (rc, out) == (0, expect_out), err
    assert b"Sanitizer" not in err and b"runtime error" not in err, err


def tls_target(srv):
    return ["-h", "127.0.0.1", "-p", srv.tls_port]


def test_commands_over_tls(tls_srv, certs, ca_dir):  # noqa: F811
    base = tls_target(tls_srv) + ["--tls", "--cacert", certs("ca.crt")]
    assert_same_reply(base + ["set", "k", "over tls"], b"OK\n")
    assert_same_reply(base + ["get", "k"], b"over tls\n")
    assert_same_reply(tls_target(tls_srv) + ["--tls", "--cacertdir", ca_dir, "get", "k"],
                      b"over tls\n")
    # A rediss:// URL turns TLS on by itself.
    url = "rediss://127.0.0.1:%s" % tls_srv.tls_port
    assert_same_reply(["-u", url, "--cacert", certs("ca.crt"), "strlen", "k"], b"8\n")
    # The name sent and checked: the certificate is issued for localhost.
    assert_same_reply(["-h", "localhost", "-p", tls_srv.tls_port, "--tls", "--sni",
                       "localhost", "--cacert", certs("ca.crt"), "ping"], b"PONG\n")
    # What was written over TLS is there on the plain port too.
    assert tls_srv.client().get("k") == b"over tls"


def test_client_certificate(strict_srv, certs):  # noqa: F811
    base = tls_target(strict_srv) + ["--tls", "--cacert", certs("ca.crt")]
    assert_same_reply(base + ["--cert", certs("client.crt"), "--key", certs("client.key"),
                              "ping"], b"PONG\n")
    # Without one, the server ends the handshake: both fail, nothing printed on stdout.
    (rc_ref, out_ref, _), (rc, out, err) = both(base + ["ping"])
    assert (rc_ref, out_ref) == (1, b"")
    assert (rc, out) == (1, b""), err
    # A certificate from a foreign CA is refused the same way.
    (rc_ref, _, _), (rc, out, _) = both(base + ["--cert", certs("stranger.crt"), "--key",
                                               certs("stranger.key"), "ping"])
    assert (rc_ref, rc, out) == (1, 1, b"")


def test_wrong_ca_fails_with_redis_cli_text(tls_srv, certs):  # noqa: F811
    args = tls_target(tls_srv) + ["--tls", "--cacert", certs("foreign.crt"), "ping"]
    (rc_ref, out_ref, err_ref), (rc, out, err) = both(args)
    assert (rc_ref, out_ref) == (1, b"")
    assert (rc, out) == (1, b"")
    expect = ("Could not connect to Redis at 127.0.0.1:%s: SSL_connect failed: certificate "
              "verify failed\n" % tls_srv.tls_port).encode()
    assert err_ref == expect
    assert err == expect.replace(b"Redis", b"PairDB")
    # The same through a rediss:// URL.
    url = "rediss://127.0.0.1:%s" % tls_srv.tls_port
    (_, _, err_ref), (rc, out, err) = both(["-u", url, "--cacert", certs("foreign.crt"), "ping"])
    assert (rc, out) == (1, b"")
    assert err == err_ref.replace(b"Redis", b"PairDB")


def test_insecure_skips_verification(tls_srv, certs):  # noqa: F811
    args = tls_target(tls_srv) + ["--tls", "--insecure", "--cacert", certs("foreign.crt")]
    assert_same_reply(args + ["ping"], b"PONG\n")
    assert_same_reply(tls_target(tls_srv) + ["--tls", "--insecure", "echo", "x"], b"x\n")


def test_unusable_files_fail_before_connecting(tls_srv, certs, tmp_path):  # noqa: F811
    missing = str(tmp_path / "missing.crt")
    cases = [
        (["--cacert", missing], b"Could not negotiate a TLS connection: Invalid CA Certificate "
                                b"File/Directory\n"),
        (["--cacert", certs("ca.crt"), "--cert", missing, "--key", certs("client.key")],
         b"Could not negotiate a TLS connection: Invalid client certificate\n"),
    ]
    for extra, first_line in cases:
        args = tls_target(tls_srv) + ["--tls"] + extra + ["ping"]
        (rc_ref, out_ref, err_ref), (rc, out, err) = both(args)
        assert (rc_ref, out_ref) == (1, b"")
        assert err_ref.startswith(first_line)
        assert (rc, out, err) == (1, b"", first_line)


def test_plain_client_on_tls_port_fails(tls_srv):
    (rc_ref, out_ref, _), (rc, out, err) = both(tls_target(tls_srv) + ["ping"])
    assert (rc_ref, out_ref) == (1, b"")
    assert (rc, out) == (1, b""), err


def test_tls_options_checked():
    # A certificate without its key (or the reverse) is refused up front.
    rc, out, err = run(CLI, ["--tls", "--cert", "x.crt", "ping"])
    assert (rc, out, err) == (1, b"", b"--cert and --key go together\n")
    rc, out, err = run(CLI, ["--tls", "--cacert"])
    assert (rc, out) == (1, b"")
    assert err == b"Unrecognized option or bad number of args for: '--cacert'\n"
