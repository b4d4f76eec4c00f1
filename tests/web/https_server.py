"""Loopback HTTPS peers for the runtime's TLS tests (Tests/AnnaRuntimeTests/WebHTTPSTests.swift).

Makes a throwaway CA and certificates with the openssl command-line tool,
serves on 127.0.0.1 (ephemeral ports), prints one JSON line

    {"ca": "<CA file>", "good": port, "self": port, "other": port, "plain": port, "eof": port}

and runs until its stdin reaches EOF (the test process exiting closes it):

* good  - leaf signed by the CA, SAN DNS:localhost + IP:127.0.0.1
* self  - self-signed leaf for the same names (not trusted via the CA)
* other - leaf signed by the CA for DNS:good.test only (name mismatch)
* plain - answers the ClientHello with plain HTTP (not TLS at all)
* eof   - closes the connection after reading the ClientHello

Routes (TLS ports): /hello (HTML page), /redir (302 to /hello), /abs (301
to https://localhost:<good>/hello), /ragged (HTTP/1.0 body ended by a TCP
close without close_notify), /garbage (a TLS record that cannot be decrypted instead of a response),
/hang (handshake done, never answers).
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

PAGE = b"<html><head><title>Secure page</title></head><body><p>hello over tls</p></body></html>"


def openssl(*args: str, cwd: str) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_certs(d: str) -> None:
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=annaruntime test CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    for name, san in (("good", "DNS:localhost,IP:127.0.0.1"), ("other", "DNS:good.test")):
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write(f"subjectAltName={san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
                "-subj", "/CN=" + ("localhost" if name == "good" else "good.test"), cwd=d)
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", name + ".pem", "-days", "2", "-extfile", name + ".ext", cwd=d)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "self.key", "-out", "self.pem", "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", cwd=d)


class Handler(http.server.BaseHTTPRequestHandler):
    good_port = 0

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/hello":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)
        elif self.path == "/redir":
            self.send_response(302)
            self.send_header("Location", "/hello")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/abs":
            self.send_response(301)
            self.send_header("Location", f"https://localhost:{Handler.good_port}/hello")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/ragged":
            self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nbody until a raw close")
            self.wfile.flush()
            raw = socket.socket(fileno=self.connection.detach())
            raw.close()
            self.close_connection = True
        elif self.path == "/garbage":
            # A record no TLS session can decrypt, straight onto the socket.
            raw = socket.socket(fileno=self.connection.detach())
            raw.sendall(b"\x17\x03\x03\x00\x20" + b"A" * 32)
            time.sleep(0.5)
            raw.close()
            self.close_connection = True
        elif self.path == "/hang":
            time.sleep(5)
        else:
            self.send_error(404)

    def log_message(self, *args: object) -> None:
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001
        pass  # failed handshakes are what several tests are about


def tls_server(d: str, cert: str) -> Server:
    srv = Server(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(d, cert + ".pem"), os.path.join(d, cert + ".key"))
    # The handshake runs in the handler thread, so a client that never
    # finishes it cannot stall the accept loop.
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
    return srv


def raw_server(answer: bytes) -> socket.socket:
    """Reads the ClientHello, answers `answer` (maybe nothing), closes."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)

    def loop() -> None:
        while True:
            c, _ = s.accept()
            try:
                c.recv(4096)
                c.sendall(answer)
                time.sleep(0.2)
            finally:
                c.close()

    threading.Thread(target=loop, daemon=True).start()
    return s


def main() -> None:
    d = tempfile.mkdtemp(prefix="anna-https-test-")
    try:
        make_certs(d)
        servers = {name: tls_server(d, name) for name in ("good", "self", "other")}
        Handler.good_port = servers["good"].server_address[1]
        for srv in servers.values():
            threading.Thread(target=srv.serve_forever, daemon=True).start()
        plain = raw_server(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        eof = raw_server(b"")
        info = {"ca": os.path.join(d, "ca.pem"), "plain": plain.getsockname()[1], "eof": eof.getsockname()[1]}
        info.update({name: srv.server_address[1] for name, srv in servers.items()})
        print(json.dumps(info), flush=True)
        sys.stdin.read()
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
