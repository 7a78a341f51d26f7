"""Record a few seconds of streams, then play them back through the same code.

``StreamClient(record_to=folder)`` writes every frame it receives to gzip JSON
lines in ``folder``; ``replay(folder)`` gives a client with the same subscribe
methods whose events come from the recording, equal to the live ones.

    python examples/record_and_replay.py --demo
"""

import shutil
import tempfile

from _common import example

from binance_options_ws import StreamClient, replay


def watch(client, ex):
    """The same code for a live client and for a replay."""
    client.subscribe_index(ex.pair)
    client.subscribe_trade(ex.underlying)


with example(__doc__) as ex:
    folder = tempfile.mkdtemp(prefix="binance-options-ws-recording-")
    try:
        with StreamClient(ex.url, endpoint=ex.endpoint, record_to=folder) as client:
            watch(client, ex)
            live = list(client.events(timeout=ex.seconds))
        print(f"recorded {len(live)} events to {folder}")

        with replay(folder) as again:  # as fast as we read; replay(folder, speed=1.0): real pace
            watch(again, ex)
            replayed = list(again.events())  # ends at the end of the recording
        for event in replayed[:10]:
            print(f"replayed {type(event).__name__:<10} {event.symbol}  at {event.event_time}")
        same = replayed[: len(live)] == live
        print(f"replayed {len(replayed)} events; the {len(live)} read live are equal: {same}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
