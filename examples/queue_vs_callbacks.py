"""Two ways to receive events: read them from the queue, or have a callback called.

The queue (no callback given): events wait in `client.queue` and your code takes
them with `client.get()` or `for event in client.events()`, in its own time, on
its own thread. Simple and sequential.

Callbacks (a function given to subscribe): the client calls it for every event,
on one background thread of its own, in arrival order. Your main thread is
free; a callback that raises is logged and counted, and delivery goes on.

Both can be mixed in one client. This example runs half the time with each.

    python examples/queue_vs_callbacks.py --demo
"""

import time

from _common import example

from binance_options_ws import StreamClient


def with_the_queue(url, pair, seconds):
    with StreamClient(url) as client:
        client.subscribe_index(pair)  # no callback: events go to the queue
        for event in client.events(timeout=seconds):
            print(f"[queue]    {event.symbol} {event.price}")


def with_callbacks(url, pair, seconds):
    def on_index(event):  # runs on the client's callback thread
        print(f"[callback] {event.symbol} {event.price}")

    with StreamClient(url) as client:
        client.subscribe_index(pair, on_index)
        time.sleep(seconds)  # the main thread is free: do anything here
        print(f"[callback] {client.stats.events} events, {client.stats.callback_errors} errors")


with example(__doc__) as ex:
    with_the_queue(ex.url, ex.pair, ex.seconds / 2)
    with_callbacks(ex.url, ex.pair, ex.seconds / 2)
