"""Stand-ins live exactly as long as the test that started them."""
import os
import signal
import sys
import threading


def tie_to_parent():
    """Exits when stdin closes (the parent test ended or died) and on SIGTERM/SIGINT, which a parent may have
    started us with blocked (child processes inherit the signal mask)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))

    def watch():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        finally:
            os._exit(0)

    if not sys.stdin.isatty():
        threading.Thread(target=watch, daemon=True).start()
