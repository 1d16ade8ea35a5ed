#!/usr/bin/env python3
"""A handset modem that answers AT commands, for tests.

It stands in for a handset modem because no real modem can run on this machine. Run it behind a
socat pseudo-terminal, so the phone agent opens a real tty as it would open /dev/ttyUSB0:

    socat -d -d PTY,link=/tmp/x/modem,raw,echo=0 \
        EXEC:"python3 tests/peers/at_modem.py --log /tmp/x/modem.log --scenario answer"

stdin and stdout are the pty. Every command line received is appended to --log exactly as
received (without the \\r), one per line. Replies use \\r\\n framing like a real modem:

    AT            -> OK
    ATD<number>;  -> OK, then the scenario plays out (unsolicited result codes)
    AT+CLCC       -> +CLCC: 1,0,<stat>,0,0,"<number>",145 for the current call, then OK
    ATH, AT+CHUP  -> OK, and the call ends
    anything else -> ERROR

Scenarios (what happens after ATD ... OK):
    answer      dialling briefly, alerting for --ring-secs, active for --talk-secs, NO CARRIER
    busy        dialling briefly, then BUSY
    no-answer   alerting for --ring-secs, then NO ANSWER
    no-carrier  NO CARRIER at once

Python 3 standard library only.
"""

import argparse
import os
import sys
import threading
import time

# +CLCC <stat> values (3GPP TS 27.007 section 7.18).
STAT_ACTIVE = 0
STAT_DIALING = 2
STAT_ALERTING = 3

# How long a call shows as "dialling" before the far end starts ringing or says busy.
DIAL_SECS = 0.2


class Modem:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        # The call in progress: None, or [number, stat]. `generation` cancels a scenario thread
        # when the call is hung up or replaced.
        self.call = None
        self.generation = 0
        self.out = os.fdopen(sys.stdout.fileno(), "wb", buffering=0, closefd=False)

    def write(self, text):
        with self.lock:
            try:
                self.out.write(b"\r\n" + text.encode() + b"\r\n")
            except OSError:
                # socat is gone (the test ended): nobody is listening any more.
                os._exit(0)

    def log(self, line):
        with open(self.args.log, "a", encoding="utf-8", errors="replace") as f:
            f.write(line + "\n")

    def handle(self, line):
        self.log(line)
        cmd = line.strip().upper()
        if cmd == "AT":
            self.write("OK")
        elif cmd.startswith("ATD") and cmd.endswith(";"):
            number = line.strip()[3:-1]
            with self.lock:
                self.generation += 1
                gen = self.generation
                self.call = [number, STAT_DIALING]
            self.write("OK")
            threading.Thread(target=self.play, args=(gen,), daemon=True).start()
        elif cmd == "AT+CLCC":
            with self.lock:
                call = list(self.call) if self.call else None
            if call:
                self.write('+CLCC: 1,0,%d,0,0,"%s",145' % (call[1], call[0]))
            self.write("OK")
        elif cmd in ("ATH", "ATH0", "AT+CHUP"):
            self.end(None)
            self.write("OK")
        else:
            self.write("ERROR")

    def set_stat(self, gen, stat):
        """Moves the call to `stat`; False when the call was hung up meanwhile."""
        with self.lock:
            if gen != self.generation or self.call is None:
                return False
            self.call[1] = stat
            return True

    def end(self, result, gen=None):
        """Ends the call and sends `result` (a result code) unless it was already hung up."""
        with self.lock:
            if gen is not None and (gen != self.generation or self.call is None):
                return
            self.generation += 1
            self.call = None
        if result:
            self.write(result)

    def play(self, gen):
        a = self.args
        s = a.scenario
        if s == "no-carrier":
            self.end("NO CARRIER", gen)
            return
        time.sleep(DIAL_SECS)
        if s == "busy":
            self.end("BUSY", gen)
            return
        if not self.set_stat(gen, STAT_ALERTING):
            return
        time.sleep(a.ring_secs)
        if s == "no-answer":
            self.end("NO ANSWER", gen)
            return
        if not self.set_stat(gen, STAT_ACTIVE):
            return
        time.sleep(a.talk_secs)
        self.end("NO CARRIER", gen)


def main():
    p = argparse.ArgumentParser(description="AT-command modem responder for tests")
    p.add_argument("--log", required=True, help="append every command line received here")
    p.add_argument(
        "--scenario", default="answer", choices=["answer", "busy", "no-answer", "no-carrier"]
    )
    p.add_argument("--ring-secs", type=float, default=0.5)
    p.add_argument("--talk-secs", type=float, default=1.5)
    args = p.parse_args()

    modem = Modem(args)
    fd = sys.stdin.fileno()
    buf = b""
    while True:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        buf += chunk
        # Commands end with \r (S3); tolerate \n too.
        while True:
            ends = [i for i in (buf.find(b"\r"), buf.find(b"\n")) if i >= 0]
            if not ends:
                break
            i = min(ends)
            line, buf = buf[:i], buf[i + 1 :]
            if line.strip():
                modem.handle(line.decode("utf-8", errors="replace"))


if __name__ == "__main__":
    main()
