"""``OptionChain``: every strike of one expiry, calls and puts side by side, kept current.

An :class:`OptionChain` subscribes, on its client, to the streams that describe
one underlying's options of one expiry, on whichever endpoint the client uses
(the streams each endpoint has, read from its dialect): the tickers of the
expiry, the mark prices of the underlying (mark, implied volatility and greeks;
the chain keeps its expiry's), the open interest of the expiry, and the
underlying's index price. It merges them into one :class:`ChainQuote` per
option: each field keeps the latest value any of the streams gave it.

The client keeps the subscriptions through reconnects and rollovers, so the
chain goes on by itself; on a :func:`~binance_options_ws.playback.replay` it
fills from the recording like any client's subscriptions.

Example:
    >>> from binance_options_ws import OptionChain, StreamClient
    >>> with StreamClient() as client:                       # doctest: +SKIP
    ...     chain = OptionChain(client, "BTC", "261225")
    ...     chain.wait_ready(timeout=10)
    ...     print(chain.atm_strike, chain.to_frame())
"""

from __future__ import annotations

import datetime as _dt
import math
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import attrs

from ._extras import import_pandas
from ._timing import Deadline
from .client import StreamClient
from .dialects import StreamKind
from .exceptions import ClientClosedError, InvalidArgumentError
from .models import Event, IndexPrice, MarkPrice, OpenInterest, Ticker
from .status import StateChange
from .subscription import Subscription
from .symbols import OptionSide, OptionSymbol, parse_expiration, parse_underlying_asset

__all__ = ["ChainQuote", "ChainRow", "OptionChain"]

# Seconds between two looks at the client while waiting (a close anywhere wakes it sooner).
_POLL = 0.25
# The fields a quote takes from the events, by the event's field name.
_FROM_EVENTS: Tuple[Tuple[str, str], ...] = (
    ("best_bid_price", "bid"),
    ("best_ask_price", "ask"),
    ("best_bid_quantity", "bid_quantity"),
    ("best_ask_quantity", "ask_quantity"),
    ("mark_price", "mark"),
    ("mark_iv", "iv"),
    ("bid_iv", "bid_iv"),
    ("ask_iv", "ask_iv"),
    ("delta", "delta"),
    ("gamma", "gamma"),
    ("theta", "theta"),
    ("vega", "vega"),
    ("open_interest", "open_interest"),
    ("last_price", "last_price"),
)


@attrs.frozen
class ChainQuote:
    """The latest of one option, merged from every stream of the chain.

    A field is None until a stream gave it a value.

    Attributes:
        symbol: The option, e.g. ``"BTC-261225-100000-C"``.
        strike: Its strike.
        side: ``OptionSide.CALL`` or ``OptionSide.PUT``.
        bid: Best bid price.
        ask: Best ask price.
        bid_quantity: Quantity at the best bid.
        ask_quantity: Quantity at the best ask.
        mark: Mark price.
        iv: Mark implied volatility (0.55 is 55 %).
        bid_iv: Implied volatility of the best bid.
        ask_iv: Implied volatility of the best ask.
        delta: Delta.
        gamma: Gamma.
        theta: Theta.
        vega: Vega.
        open_interest: Open interest, in contracts.
        last_price: The last trade's price.
        updated: ``event_time`` of the latest event that changed it (ms since the epoch).

    Example:
        >>> quote = chain.quote("BTC-261225-100000-C")   # doctest: +SKIP
        >>> quote.bid, quote.ask, quote.iv               # doctest: +SKIP
        (4790.0, 4820.0, 0.6977)
    """

    symbol: str
    strike: float
    side: OptionSide
    bid: Optional[float] = None
    ask: Optional[float] = None
    bid_quantity: Optional[float] = None
    ask_quantity: Optional[float] = None
    mark: Optional[float] = None
    iv: Optional[float] = None
    bid_iv: Optional[float] = None
    ask_iv: Optional[float] = None
    delta: Optional[float] = None
    gamma: Optional[float] = None
    theta: Optional[float] = None
    vega: Optional[float] = None
    open_interest: Optional[float] = None
    last_price: Optional[float] = None
    updated: Optional[int] = None


@attrs.frozen
class ChainRow:
    """One strike of the chain: its call and its put (None until seen).

    Attributes:
        strike: The strike.
        call: The call's quote.
        put: The put's quote.

    Example:
        >>> [(row.strike, row.call.iv, row.put.iv) for row in chain.rows()]   # doctest: +SKIP
    """

    strike: float
    call: Optional[ChainQuote]
    put: Optional[ChainQuote]


def _value(value: Any) -> Optional[float]:
    """A number the event gave, or None for none (missing, or not a number)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


class OptionChain:
    """Every option of one underlying and expiry, calls and puts by strike, kept current.

    Subscribes at once (blocking until the exchange confirms, like a subscribe
    method). Callbacks of the chain run on the client's dispatcher thread.

    Args:
        client: The client to subscribe on (live, or a replay), on either endpoint.
        underlying: The base asset, e.g. ``"BTC"``.
        expiration: The expiry: ``"YYMMDD"`` or a ``datetime.date``.
        on_change: Called with the chain after its quotes or the index changed: once
            per burst of events, on the client's dispatcher thread.
        timeout: Seconds to wait for the subscriptions to be confirmed.

    Raises:
        InvalidArgumentError: If ``client`` is not a StreamClient, or its endpoint has
            none of the streams a chain needs, or ``on_change`` is not callable.
        InvalidStreamError: For a bad ``underlying`` or ``expiration``.

    Example:
        >>> chain = OptionChain(client, "BTC", "261225")   # doctest: +SKIP
        >>> chain.wait_ready(timeout=10)                   # doctest: +SKIP
        True
    """

    def __init__(
        self,
        client: StreamClient,
        underlying: str,
        expiration: Union[str, _dt.date],
        *,
        on_change: Optional[Callable[[OptionChain], Any]] = None,
        timeout: Optional[float] = None,
    ) -> None:
        if not isinstance(client, StreamClient):
            raise InvalidArgumentError(
                f"OptionChain needs a StreamClient (or a replay), got {client!r}"
            )
        if on_change is not None and not callable(on_change):
            raise InvalidArgumentError(f"on_change must be callable or None, got {on_change!r}")
        self.underlying: str = parse_underlying_asset(underlying)
        self.expiration: _dt.date = parse_expiration(expiration)
        self._client = client
        self._on_change = on_change
        # Guards _quotes, _index and _pending; the waiters wait on it.
        self._cond = threading.Condition()
        self._quotes: Dict[str, ChainQuote] = {}
        self._index: Optional[float] = None
        self._pending = False
        self._closed = False
        self._subscriptions: List[Subscription[Any]] = []
        kinds = client.dialect.kinds
        quotes = {StreamKind.TICKER_BY_EXPIRATION, StreamKind.MARK_PRICE} & kinds
        if not quotes:
            raise InvalidArgumentError(
                f"the {client.endpoint} endpoint has neither tickers by expiration nor mark "
                "prices: an OptionChain needs one of them"
            )
        client.add_state_listener(self._on_state)
        try:
            if StreamKind.TICKER_BY_EXPIRATION in kinds:
                self._subscriptions.append(
                    client.subscribe_ticker_by_expiration(
                        self.underlying, self.expiration, self._on_event, timeout=timeout
                    )
                )
            if StreamKind.MARK_PRICE in kinds:
                self._subscriptions.append(
                    client.subscribe_mark_price(self.underlying, self._on_event, timeout=timeout)
                )
            if StreamKind.OPEN_INTEREST in kinds:
                self._subscriptions.append(
                    client.subscribe_open_interest(
                        self.underlying, self.expiration, self._on_event, timeout=timeout
                    )
                )
            if StreamKind.INDEX in kinds:
                self._subscriptions.append(
                    client.subscribe_index(self.pair, self._on_event, timeout=timeout)
                )
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        return (
            f"<OptionChain {self.underlying} {self.expiration:%y%m%d} "
            f"{len(self._quotes)} options, index {self._index}>"
        )

    @property
    def pair(self) -> str:
        """The index pair of the underlying, e.g. ``"BTCUSDT"``."""
        return f"{self.underlying}USDT"

    # ------------------------------------------------------------ fed by the client

    def _on_event(self, event: Event) -> None:
        """One event of the chain's streams (on the dispatcher thread)."""
        changed = False
        if isinstance(event, IndexPrice):
            price = _value(event.price)
            if price is not None and event.symbol == self.pair:
                with self._cond:
                    changed = price != self._index
                    self._index = price
                    self._cond.notify_all()
        elif isinstance(event, (Ticker, MarkPrice, OpenInterest)):
            changed = self._update(event)
        if changed:
            self._changed()

    def _update(self, event: Union[Ticker, MarkPrice, OpenInterest]) -> bool:
        option = OptionSymbol.read(event.symbol)
        if (
            option is None
            or option.expiration != self.expiration
            or option.underlying != self.underlying
        ):
            return False  # the mark prices of the other expiries
        values: Dict[str, Any] = {}
        for source, target in _FROM_EVENTS:
            value = _value(getattr(event, source, None))
            if value is not None:
                values[target] = value
        if not values:
            return False
        with self._cond:
            quote = self._quotes.get(option.name)
            if quote is None:
                quote = ChainQuote(option.name, float(option.strike), option.side)
            values["updated"] = event.event_time if event.event_time else quote.updated
            self._quotes[option.name] = attrs.evolve(quote, **values)
            self._cond.notify_all()
        return True

    def _changed(self) -> None:
        """Tell ``on_change`` once the burst of events already queued has been applied."""
        if self._on_change is None:
            return
        with self._cond:
            if self._pending:
                return
            self._pending = True
        self._client.call_soon(self._notify, None)

    def _notify(self, _: None) -> None:
        with self._cond:
            self._pending = False
        if self._on_change is not None and not self._closed:
            self._on_change(self)

    def _on_state(self, change: StateChange) -> None:
        if change.state == "closed":
            with self._cond:
                self._cond.notify_all()

    # ------------------------------------------------------------ reading

    @property
    def index_price(self) -> Optional[float]:
        """The underlying's latest index price (None before the first)."""
        return self._index

    @property
    def atm_strike(self) -> Optional[float]:
        """The strike nearest the index price: the at-the-money strike (None before both).

        Example:
            >>> chain.atm_strike   # doctest: +SKIP
            104000.0
        """
        with self._cond:
            index = self._index
            strikes = {quote.strike for quote in self._quotes.values()}
        if index is None or not strikes:
            return None
        return min(sorted(strikes), key=lambda strike: abs(strike - index))

    @property
    def ready(self) -> bool:
        """True once the index price, and a mark price of a call and of a put, arrived."""
        with self._cond:
            return self._ready()

    def _ready(self) -> bool:
        sides = {q.side for q in self._quotes.values() if q.mark is not None}
        return self._index is not None and len(sides) == 2

    def quotes(self) -> List[ChainQuote]:
        """Every option's quote, by strike, calls first.

        Example:
            >>> [q.symbol for q in chain.quotes()][:2]   # doctest: +SKIP
            ['BTC-261225-90000-C', 'BTC-261225-90000-P']
        """
        with self._cond:
            quotes = list(self._quotes.values())
        return sorted(quotes, key=lambda q: (q.strike, q.side != OptionSide.CALL))

    def quote(self, symbol: Union[str, OptionSymbol]) -> Optional[ChainQuote]:
        """One option's quote, or None if it has not been seen.

        Example:
            >>> chain.quote("BTC-261225-100000-C").iv   # doctest: +SKIP
            0.52
        """
        name = OptionSymbol.parse(symbol).name
        with self._cond:
            return self._quotes.get(name)

    def rows(self) -> List[ChainRow]:
        """One row per strike, lowest first: the call and the put side by side.

        Example:
            >>> row = chain.rows()[0]                 # doctest: +SKIP
            >>> row.strike, row.call.mark, row.put.mark   # doctest: +SKIP
        """
        by_strike: Dict[float, Dict[OptionSide, ChainQuote]] = {}
        for quote in self.quotes():
            by_strike.setdefault(quote.strike, {})[quote.side] = quote
        return [
            ChainRow(strike, sides.get(OptionSide.CALL), sides.get(OptionSide.PUT))
            for strike, sides in sorted(by_strike.items())
        ]

    def to_frame(self) -> Any:
        """The chain as a pandas DataFrame: a row per strike, ``call_*`` and ``put_*`` columns.

        Columns: ``strike``, then for each side ``symbol``, ``bid``, ``ask``,
        ``mark``, ``iv``, ``delta``, ``gamma``, ``theta``, ``vega``,
        ``open_interest``, ``updated`` (a UTC datetime), and the other
        :class:`ChainQuote` fields, prefixed ``call_`` or ``put_``.

        Raises:
            MissingExtraError: If pandas is not installed.

        Example:
            >>> chain.to_frame()[["strike", "call_iv", "put_iv"]]   # doctest: +SKIP
        """
        pandas = import_pandas("OptionChain.to_frame")
        names = [f.name for f in attrs.fields(ChainQuote) if f.name not in ("strike", "side")]
        records = []
        for row in self.rows():
            record: Dict[str, Any] = {"strike": row.strike}
            for prefix, quote in (("call_", row.call), ("put_", row.put)):
                for name in names:
                    record[prefix + name] = getattr(quote, name) if quote is not None else None
            records.append(record)
        columns = ["strike"] + [p + n for p in ("call_", "put_") for n in names]
        frame = pandas.DataFrame(records, columns=columns)
        for column in ("call_updated", "put_updated"):
            frame[column] = pandas.to_datetime(frame[column], unit="ms", utc=True, errors="coerce")
        return frame

    # ------------------------------------------------------------ waiting, closing

    def wait_ready(self, timeout: Optional[float] = None) -> bool:
        """Wait until the chain is :attr:`ready`. Returns False if ``timeout`` ran out first.

        Raises:
            ClientClosedError: If the chain or its client is closed (at once, from any
                thread).

        Example:
            >>> chain.wait_ready(timeout=10)   # doctest: +SKIP
            True
        """
        deadline = Deadline(timeout)
        with self._cond:
            while True:
                if self._closed or self._client.closed:
                    raise ClientClosedError(
                        f"the option chain of {self.underlying} {self.expiration:%y%m%d} is "
                        "closed (or its client is)"
                    )
                if self._ready():
                    return True
                left = deadline.timeout()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(_POLL if left is None else min(_POLL, left))

    def close(self) -> None:
        """Unsubscribe the chain's streams (the client stays open); wakes every waiter.

        Example:
            >>> chain.close()   # doctest: +SKIP
        """
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify_all()
        self._client.remove_state_listener(self._on_state)
        if self._client.closed:
            return
        for subscription in self._subscriptions:
            try:
                subscription.unsubscribe()
            except ClientClosedError:
                return

    def __enter__(self) -> OptionChain:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
