#!/usr/bin/env python3
"""A real SMTP server on loopback for Quorum's email tests (aiosmtpd).

Every accepted message is written to --dir as a JSON file (0001.json, 0002.json, ...) holding the
envelope, the raw data as received (after SMTP dot-unstuffing) and the message parsed back by
Python's email package (decoded subject, addresses, text and HTML parts with "\n" line ends, parser
defects), so tests can check what a real mail reader would see.

    python3 scripts/smtp-sink.py --port 0 --dir /tmp/mail [--starttls | --implicit-tls] [--auth USER:PASS]
        [--auth-mechanisms PLAIN,LOGIN] [--reject-rcpt ADDRESS]... [--fail-data CODE] [--no-ehlo]

With --port 0 the system picks a free port. Once listening the sink prints one line on stdout:

    SMTP-SINK READY 127.0.0.1 <port>

--starttls generates a self-signed certificate for localhost and 127.0.0.1 (written to
<dir>/sink-cert.pem so a client can trust exactly it) and offers STARTTLS; --implicit-tls uses the
same certificate for TLS from the first byte. --auth requires
AUTH (PLAIN or LOGIN, restricted with --auth-mechanisms) before MAIL; AUTH is only accepted
after STARTTLS when --starttls is given. --reject-rcpt answers 550 for that recipient;
--fail-data CODE answers CODE (e.g. 451 or 554) at the end of DATA instead of accepting;
--no-ehlo refuses EHLO so the client must fall back to HELO. --host binds another address.

Requires: pip install aiosmtpd (cryptography, or the openssl command, for --starttls).
"""

import argparse
import asyncio
import datetime
import email
import email.policy
import ipaddress
import json
import os
import signal
import ssl
import subprocess
import sys
import threading

try:
    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
except ImportError:
    sys.stderr.write("smtp-sink: aiosmtpd is not installed (pip install aiosmtpd)\n")
    sys.exit(3)


def generate_certificate(directory):
    """Writes a self-signed certificate for localhost/127.0.0.1 and its key; returns their paths."""
    cert_path = os.path.join(directory, "sink-cert.pem")
    key_path = os.path.join(directory, "sink-key.pem")
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        with open(key_path, "wb") as f:
            f.write(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
        with open(cert_path, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
    except ImportError:
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-days", "1", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout", key_path, "-out", cert_path,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    return cert_path, key_path


class Authenticator:
    """Accepts exactly one USER:PASS; records the mechanism used in the session."""

    def __init__(self, username, password):
        self.username = username.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        if auth_data.login == self.username and auth_data.password == self.password:
            return AuthResult(
                success=True,
                auth_data={"login": auth_data.login.decode(), "mechanism": mechanism},
            )
        return AuthResult(success=False, handled=False)


class Sink:
    def __init__(self, directory, reject_rcpt, fail_data, implicit_tls, no_ehlo):
        self.directory = directory
        self.no_ehlo = no_ehlo
        self.implicit_tls = implicit_tls
        self.reject_rcpt = {address.lower() for address in reject_rcpt}
        self.fail_data = fail_data
        self.count = 0
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        if self.no_ehlo:
            return ["502 5.5.1 EHLO not implemented, use HELO"]
        session.host_name = hostname  # with this hook defined, aiosmtpd leaves it to the handler
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject_rcpt:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.fail_data:
            code = int(self.fail_data)
            if code >= 500:
                return f"{code} 5.6.0 Message refused by the test sink"
            return f"{code} 4.3.0 Temporary failure in the test sink"
        raw = envelope.original_content or b""
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "mail_options": list(envelope.mail_options),
            "helo": session.host_name,
            # aiosmtpd only fills session.ssl after STARTTLS; with implicit TLS every session is encrypted.
            "tls": session.ssl is not None or self.implicit_tls,
            "auth": session.auth_data if isinstance(session.auth_data, dict) else None,
            "data": raw.decode("utf-8", errors="replace"),
        }
        record.update(parse(raw))
        with self.lock:
            self.count += 1
            name = f"{self.count:04d}.json"
        path = os.path.join(self.directory, name)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False, indent=1)
        os.replace(path + ".tmp", path)
        return "250 2.0.0 OK: queued as " + name


def parse(raw):
    """The message as a mail reader sees it: decoded headers and bodies."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    parsed = {
        "headers": [[name, str(value)] for name, value in message.items()],
        "raw_headers": [[name, value] for name, value in message.raw_items()],
        "subject": str(message["subject"]) if message["subject"] is not None else None,
        "from": str(message["from"]) if message["from"] is not None else None,
        "to": str(message["to"]) if message["to"] is not None else None,
        "content_type": message.get_content_type(),
        "defects": [repr(d) for d in message.defects],
        "text": None,
        "html": None,
    }
    for part in message.walk():
        parsed["defects"] += [repr(d) for d in part.defects]
    plain = message.get_body(preferencelist=("plain",))
    if plain is not None:
        parsed["text"] = plain.get_content().replace("\r\n", "\n")
    html = message.get_body(preferencelist=("html",))
    if html is not None:
        parsed["html"] = html.get_content().replace("\r\n", "\n")
    return parsed


async def serve(args):
    os.makedirs(args.dir, exist_ok=True)
    tls_context = None
    if args.starttls or args.implicit_tls:
        cert, key = generate_certificate(args.dir)
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(cert, key)
    authenticator = None
    if args.auth:
        username, _, password = args.auth.partition(":")
        authenticator = Authenticator(username, password)
    excluded = []
    if args.auth_mechanisms:
        allowed = {m.strip().upper() for m in args.auth_mechanisms.split(",")}
        excluded = [m for m in ("PLAIN", "LOGIN") if m not in allowed]
    handler = Sink(args.dir, args.reject_rcpt, args.fail_data, args.implicit_tls, args.no_ehlo)
    loop = asyncio.get_running_loop()

    def factory():
        return SMTP(
            handler,
            hostname="sink.quorum.test",
            enable_SMTPUTF8=True,
            tls_context=tls_context if args.starttls else None,
            authenticator=authenticator,
            auth_required=authenticator is not None,
            auth_require_tls=args.starttls,
            auth_exclude_mechanism=excluded,
            loop=loop,
        )

    server_tls = tls_context if args.implicit_tls else None
    server = await loop.create_server(factory, host=args.host, port=args.port, ssl=server_tls)
    port = server.sockets[0].getsockname()[1]
    print(f"SMTP-SINK READY {args.host} {port}", flush=True)
    stop = asyncio.Event()
    # A parent that blocks signals in its threads (as SwiftNIO programs do) passes that mask on: unblock
    # SIGTERM/SIGINT so that stopping the sink works.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main():
    parser = argparse.ArgumentParser(description="SMTP sink for Quorum's tests")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed on the ready line)")
    parser.add_argument("--dir", required=True, help="folder that receives one JSON file per message")
    parser.add_argument("--starttls", action="store_true", help="offer STARTTLS with a generated self-signed certificate")
    parser.add_argument("--implicit-tls", action="store_true", help="TLS from the first byte (like port 465), same certificate")
    parser.add_argument("--auth", metavar="USER:PASS", help="require AUTH with these credentials")
    parser.add_argument("--auth-mechanisms", metavar="LIST", help="offer only these, e.g. LOGIN or PLAIN,LOGIN")
    parser.add_argument("--reject-rcpt", action="append", default=[], metavar="ADDRESS", help="answer 550 for this recipient")
    parser.add_argument("--no-ehlo", action="store_true", help="refuse EHLO with 502 (an old server that only speaks HELO)")
    parser.add_argument("--fail-data", metavar="CODE", help="answer CODE (4xx or 5xx) at the end of DATA")
    args = parser.parse_args()
    if args.starttls and args.implicit_tls:
        parser.error("--starttls and --implicit-tls exclude each other")
    if args.fail_data and not (args.fail_data.isdigit() and args.fail_data[0] in "45" and len(args.fail_data) == 3):
        parser.error("--fail-data takes a 4xx or 5xx code")
    # aiosmtpd logs a warning when AUTH is allowed without TLS; on loopback that is intended.
    import logging
    import warnings
    logging.basicConfig(level=logging.ERROR)
    warnings.simplefilter("ignore")
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
