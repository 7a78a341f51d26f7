"""``StreamClient.run_forever()`` and Ctrl+C, in a child process that gets real SIGINTs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from binance_options_ws.testing import FakeExchange


@pytest.mark.skipif(os.name == "nt", reason="SIGINT to a child process is POSIX-only")
def test_ctrl_c_ends_run_forever_quietly_even_when_pressed_again() -> None:
    with FakeExchange(market=True) as exchange:
        script = textwrap.dedent(
            f"""
            import signal
            import sys
            import threading
            import time

            from binance_options_ws import StreamClient

            # Ctrl+C raises KeyboardInterrupt, as in a script started from a terminal (a test
            # run started in the background would have its children ignore SIGINT).
            signal.signal(signal.SIGINT, signal.default_int_handler)


            def announce():  # "running" once the main thread is inside run_forever()
                main = threading.main_thread().ident
                while True:
                    frame = sys._current_frames().get(main)
                    while frame is not None and frame.f_code.co_name != "run_forever":
                        frame = frame.f_back
                    if frame is not None:
                        print("running", flush=True)
                        return
                    time.sleep(0.01)


            client = StreamClient({exchange.url!r}, proxy=None)
            client.subscribe_index("BTCUSDT", lambda event: None)
            threading.Thread(target=announce, daemon=True).start()
            client.run_forever()
            # The test's burst may still be arriving: the script has done its part.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            print("returned", flush=True)
            """
        )
        proc = subprocess.Popen(
            [sys.executable, "-c", script],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline() == "running\n"
            for _ in range(5):  # an impatient user
                proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert out.rstrip().endswith("returned"), err
    assert proc.returncode == 0, err
    assert "Traceback" not in err
