#!/usr/bin/python3
"""A real SMTP server on loopback for the email suites (Debian's python3-aiosmtpd).

usage: smtp_server.py --dir DIR [--port N] [--starttls CERT KEY] [--tls CERT KEY]
                      [--auth USER:PASS]
Writes every message it accepts as DIR/<n>.json: {mail_from, rcpt_tos, subject, text, html,
tls, auth_user, raw}. Prints "listening on PORT" once ready. --starttls requires STARTTLS before
MAIL; --tls is implicit TLS from the first byte; --auth requires AUTH (PLAIN/LOGIN, over TLS).
"""
import argparse
import email
import email.policy
import json
import os
import signal
import socket
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Recorder:
    def __init__(self, directory):
        self.dir = directory
        self.n = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content or envelope.content,
                                       policy=email.policy.default)
        text = msg.get_body(preferencelist=("plain",))
        html = msg.get_body(preferencelist=("html",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": str(msg["subject"]),
            "from": str(msg["from"]),
            "content_type": msg.get_content_type(),
            "text": text.get_content() if text else "",
            "html": html.get_content() if html else "",
            # STARTTLS sets session.ssl; implicit TLS shows on the transport.
            "tls": (session.ssl is not None
                    or server.transport.get_extra_info("ssl_object") is not None),
            "auth_user": (session.auth_data.login.decode()
                          if isinstance(session.auth_data, LoginPassword) else None),
        }
        with self.lock:
            self.n += 1
            name = os.path.join(self.dir, "%04d.json" % self.n)
        with open(name + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(name + ".tmp", name)
        return "250 OK"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--starttls", nargs=2)
    ap.add_argument("--tls", nargs=2)
    ap.add_argument("--auth")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    port = a.port or free_port()
    kwargs = {}
    if a.starttls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(*a.starttls)
        kwargs.update(tls_context=ctx, require_starttls=True)
    if a.tls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(*a.tls)
        kwargs.update(ssl_context=ctx)
    if a.auth:
        user, password = a.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user
                  and auth_data.password.decode() == password)
            return AuthResult(success=ok, auth_data=auth_data)

        # aiosmtpd only counts STARTTLS as TLS for advertising AUTH; with implicit TLS the whole
        # connection is encrypted anyway.
        kwargs.update(authenticator=authenticator, auth_required=True,
                      auth_require_tls=bool(a.starttls))
    controller = Controller(Recorder(a.dir), hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    print("listening on %d" % port, flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    controller.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
