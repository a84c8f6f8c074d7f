"""A real SMTP server for the mail tests (aiosmtpd, from Debian's
python3-aiosmtpd), on 127.0.0.1 only.

Every accepted message is written to DIR as NNNN.eml. It can refuse the
first N messages for now (451), refuse a mailbox for good (550), and drop
the connection once the first message to an address has been sent, before
answering it, as a server that crashes at that moment would.

    smtp_server.py PORT DIR [--refuse-first N] [--reject ADDR] [--drop-first ADDR]

Prints "ready" once it listens; runs until killed.
"""

import argparse
import asyncio
import pathlib
import signal

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, out, refuse_first, reject, drop_first):
        self.out = out
        self.refuse_left = refuse_first
        self.reject = set(reject)
        self.drop = set(drop_first)
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_left > 0:
            self.refuse_left -= 1
            return "451 4.3.0 Busy, try again later"
        dropped = self.drop.intersection(envelope.rcpt_tos)
        if dropped:
            self.drop -= dropped
            server.transport.close()
            return "250 never heard"
        self.count += 1
        (self.out / f"{self.count:04}.eml").write_bytes(envelope.original_content or envelope.content)
        return "250 Accepted"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("dir", type=pathlib.Path)
    parser.add_argument("--refuse-first", type=int, default=0)
    parser.add_argument("--reject", action="append", default=[])
    parser.add_argument("--drop-first", action="append", default=[])
    args = parser.parse_args()
    handler = Handler(args.dir, args.refuse_first, args.reject, args.drop_first)
    controller = Controller(handler, hostname="127.0.0.1", port=args.port)
    controller.start()
    print("ready", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()


if __name__ == "__main__":
    main()
