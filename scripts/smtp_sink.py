"""The local cluster's mail server (OPS-03/04): a real SMTP server (aiosmtpd) that accepts
every mail and stores one row per accepted mail in a SQLite file — its Message-ID,
recipients, subject and when it arrived — so the fault test can count what was sent.

Run (scripts/cluster.sh starts it in the smtp node):
  .venv/bin/python scripts/smtp_sink.py --host 10.77.0.60 --port 2525 --db /tmp/allegro-cluster/smtp/messages.sqlite3
"""

import argparse
import signal
import sqlite3
import threading
import time
from email import message_from_bytes

from aiosmtpd.controller import Controller

SCHEMA = """
CREATE TABLE IF NOT EXISTS message (
    id INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL,
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    received_at REAL NOT NULL
)
"""


class Store:
    """Each accepted mail is committed before the server answers 250 (so a mail the
    client saw accepted is counted, whatever happens to this process afterwards)."""

    def __init__(self, path):
        self.lock = threading.Lock()
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(SCHEMA)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        mail = message_from_bytes(envelope.original_content or envelope.content)
        with self.lock:
            self.db.execute(
                "INSERT INTO message (message_id, recipients, subject, received_at) VALUES (?, ?, ?, ?)",
                (
                    (mail.get("Message-ID") or "").strip(),
                    ",".join(envelope.rcpt_tos),
                    str(mail.get("Subject") or ""),
                    time.time(),
                ),
            )
        return "250 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    controller = Controller(Store(args.db), hostname=args.host, port=args.port)
    controller.start()
    print(f"SMTP sink on {args.host}:{args.port}, storing into {args.db}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
