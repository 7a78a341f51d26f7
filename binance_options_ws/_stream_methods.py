"""One subscribe method per stream, as the exchange's own connectors have them.

:class:`StreamMethods` is the part of :class:`~binance_options_ws.StreamClient`
that turns each method's arguments into the stream name of the client's endpoint
(through its :class:`~binance_options_ws.dialects.Dialect`) and subscribes it;
every method is documented on ``StreamClient``, which inherits them.

Each method is typed by its stream: ``subscribe_trade`` takes a callback of a
:class:`~binance_options_ws.Trade` (``Callable[[Trade], object]``) and returns a
``Subscription[Trade]``, so a type checker refuses a callback written for another
event and knows the type of every event the subscription's ``get()`` returns.
"""

from __future__ import annotations

import datetime as _dt
from typing import Callable, FrozenSet, Optional, Tuple, Type, Union

from .dialects import Dialect, StreamKind, StreamName
from .endpoints import endpoints_with
from .exceptions import InvalidArgumentError, InvalidArgumentTypeError
from .models import (
    BookDepth,
    BookTicker,
    DepthUpdate,
    IndexPrice,
    Kline,
    MarkPrice,
    NewSymbol,
    OpenInterest,
    Ticker,
    Trade,
)
from .subscription import E, Subscription
from .symbols import OptionSymbol

__all__ = ["StreamMethods"]


class StreamMethods:
    """``subscribe_<stream>(...)`` for every stream kind; the client supplies the rest."""

    @property
    def dialect(self) -> Dialect:
        """The grammar of the client's endpoint."""
        raise NotImplementedError

    def _subscribe_names(
        self,
        names: Tuple[str, ...],
        event_class: Optional[Type[E]],
        callback: Optional[Callable[[E], object]],
        timeout: Optional[float],
        symbols: Optional[FrozenSet[str]] = None,
    ) -> Subscription[E]:
        """Subscribe exact names for events of ``event_class`` (None: any), keeping
        only ``symbols``' events (None: all)."""
        raise NotImplementedError

    def _subscribe_kind(
        self,
        name: StreamName,
        event_class: Type[E],
        callback: Optional[Callable[[E], object]],
        timeout: Optional[float],
    ) -> Subscription[E]:
        """Subscribe one name built by the dialect, for events of ``event_class``."""
        return self._subscribe_names((name.name,), event_class, callback, timeout)

    def subscribe_index(
        self,
        symbol: Optional[str] = None,
        callback: Optional[Callable[[IndexPrice], object]] = None,
        *,
        timeout: Optional[float] = None,
    ) -> Subscription[IndexPrice]:
        """Index prices of an underlying pair (``IndexPrice`` events, every second).

        On fstream one stream (``!index@arr``) carries every underlying: with a
        ``symbol`` you get only that pair's events, with None all of them. On
        nbstream ``symbol`` is required.

        Args:
            symbol: The pair, e.g. ``"BTCUSDT"``.
            callback: Called with each ``IndexPrice``; None sends the events to the client's
                queue until the subscription is read with its own ``get``/``events``.
            timeout: Seconds to wait for the exchange's confirmation.

        Example:
            >>> client.subscribe_index("ETHUSDT")   # doctest: +SKIP
        """
        if callable(symbol):
            raise InvalidArgumentTypeError(
                "subscribe_index takes the pair first: subscribe_index('BTCUSDT', callback), "
                "or on fstream subscribe_index(callback=callback) for every pair"
            )
        name = self.dialect.index(symbol)
        pair = self.dialect.index_filter(symbol)
        if pair is None:
            return self._subscribe_kind(name, IndexPrice, callback, timeout)
        return self._subscribe_names((name.name,), IndexPrice, callback, timeout, frozenset([pair]))

    def subscribe_kline(
        self,
        symbol: Union[str, OptionSymbol],
        interval: str,
        callback: Optional[Callable[[Kline], object]] = None,
        *,
        timeout: Optional[float] = None,
    ) -> Subscription[Kline]:
        """Klines (candlesticks) of an option (``Kline`` events, every second).

        Args:
            symbol: The option symbol, e.g. ``"BTC-261225-100000-C"``.
            interval: ``1m 3m 5m 15m 30m 1h 2h 4h 6h 12h 1d 3d 1w``, and on nbstream
                also ``8h`` and ``1M``.
            callback: Called with each ``Kline``; None sends the events to the client's
                queue until the subscription is read with its own ``get``/``events``.
            timeout: Seconds to wait for the exchange's confirmation.

        Example:
            >>> client.subscribe_kline("BTC-261225-100000-C", "1m")   # doctest: +SKIP
        """
        return self._subscribe_kind(self.dialect.kline(symbol, interval), Kline, callback, timeout)

    def subscribe_mark_price(
        self,
        underlying: str,
        callback: Optional[Callable[[MarkPrice], object]] = None,
        *,
        timeout: Optional[float] = None,
    ) -> Subscription[MarkPrice]:
        """Mark prices of every option on an underlying (``MarkPrice`` events, every second).

        Args:
            underlying: The base asset, e.g. ``"BTC"``.
            callback: Called with each ``MarkPrice``; None sends the events to the client's
                queue until the subscription is read with its own ``get``/``events``.
            timeout: Seconds to wait for the exchange's confirmation.

        Example:
            >>> client.subscribe_mark_price("ETH")   # doctest: +SKIP
        """
        return self._subscribe_kind(
            self.dialect.mark_price(underlying), MarkPrice, callback, timeout
        )

    def subscribe_new_symbols(
        self,
        callback: Optional[Callable[[NewSymbol], object]] = None,
        *,
        timeout: Optional[float] = None,
    ) -> Subscription[NewSymbol]:
        """Newly listed options (``NewSymbol`` events).

        Args:
            callback: Called with each ``NewSymbol``; None sends the events to the client's
                queue until the subscription is read with its own ``get``/``events``.
            timeout: Seconds to wait for the exchange's confirmation.

        Example:
            >>> client.subscribe_new_symbols(print)   # doctest: +SKIP
        """
        return self._subscribe_kind(self.dialect.new_symbol_info(), NewSymbol, callback, timeout)

    def subscribe_open_interest(
        self,
        underlying: str,
        expiration: Union[str, _dt.date],
        callback: Optional[Callable[[OpenInterest], object]] = None,
        *,
        timeout: Optional[float] = None,
    ) -> Subscription[OpenInterest]:
        """Open interest per option of one underlying and expiry (``OpenInterest``, every 60 s).

        Args:
            underlying: The base asset, e.g. ``"ETH"``.
            expiration: The expiry as ``"YYMMDD"`` or a ``datetime.date``.
            callback: Called with each ``OpenInterest``; None sends the events to the client's
                queue until the subscription is read with its own ``get``/``events``.
            timeout: Seconds to wait for the exchange's confirmation.

        Example:
            >>> client.subscribe_open_interest("ETH", "261225")   # doctest: +SKIP
        """
        return self._subscribe_kind(
            self.dialect.open_interest(underlying, expiration), OpenInterest, callback, timeout
        )

    def subscribe_depth(
        self,
        symbol: Union[str, OptionSymbol],
        levels: int = 10,
        speed: Union[str, int, None] = None,
        callback: Optional[Callable[[BookDepth], object]] = None,
        *,
        timeout: Optional[float] = None,
    ) -> Subscription[BookDepth]:
        """The top bids and asks of an option (``BookDepth`` events).

        Args:
            symbol: The option symbol.
            levels: 10, 20, 50 or 100 on nbstream; 5, 10 or 20 on fstream.
            speed: ``"100ms"`` or ``"500ms"`` (the default), and on nbstream also
                ``"1000ms"``.
            callback: Called with each ``BookDepth``; None sends the events to the client's
                queue until the subscription is read with its own ``get``/``events``.
            timeout: Seconds to wait for the exchange's confirmation.

        Example:
            >>> client.subscribe_depth("BTC-261225-100000-C", levels=20)   # doctest: +SKIP
        """
        return self._subscribe_kind(
            self.dialect.depth(symbol, levels, speed), BookDepth, callback, timeout
        )

    def subscribe_ticker(
        self,
        symbol: Union[str, OptionSymbol],
        callback: Optional[Callable[[Ticker], object]] = None,
        *,
        timeout: Optional[float] = None,
    ) -> Subscription[Ticker]:
        """The 24-hour ticker of an option, with greeks and IVs (``Ticker``, every second).

        Args:
            symbol: The option symbol, e.g. ``"BTC-261225-100000-C"``.
            callback: Called with each ``Ticker``; None sends the events to the client's
                queue until the subscription is read with its own ``get``/``events``.
            timeout: Seconds to wait for the exchange's confirmation.

        Example:
            >>> client.subscribe_ticker("BTC-261225-100000-C")   # doctest: +SKIP
        """
        return self._subscribe_kind(self.dialect.ticker(symbol), Ticker, callback, timeout)

    def subscribe_ticker_by_expiration(
        self,
        underlying: str,
        expiration: Union[str, _dt.date],
        callback: Optional[Callable[[Ticker], object]] = None,
        *,
        timeout: Optional[float] = None,
    ) -> Subscription[Ticker]:
        """Tickers of every option of one underlying and expiry: a whole chain.

        Args:
            underlying: The base asset, e.g. ``"BTC"``.
            expiration: The expiry as ``"YYMMDD"`` or a ``datetime.date``.
            callback: Called with each ``Ticker``; None sends events to the queue.
            timeout: Seconds to wait for the exchange's confirmation.

        Example:
            >>> client.subscribe_ticker_by_expiration("BTC", "261225")   # doctest: +SKIP
        """
        return self._subscribe_kind(
            self.dialect.ticker_by_expiration(underlying, expiration), Ticker, callback, timeout
        )

    def subscribe_trade(
        self,
        symbol_or_underlying: Union[str, OptionSymbol],
        callback: Optional[Callable[[Trade], object]] = None,
        *,
        timeout: Optional[float] = None,
    ) -> Subscription[Trade]:
        """Trades of one option, or of every option on an underlying (``Trade`` events).

        Args:
            symbol_or_underlying: ``"BTC-261225-100000-C"`` or ``"BTC"``.
            callback: Called with each ``Trade``; None sends the events to the client's
                queue until the subscription is read with its own ``get``/``events``.
            timeout: Seconds to wait for the exchange's confirmation.

        Example:
            >>> client.subscribe_trade("BTC")   # doctest: +SKIP
        """
        return self._subscribe_kind(
            self.dialect.trade(symbol_or_underlying), Trade, callback, timeout
        )

    def subscribe_book_ticker(
        self,
        symbol: Union[str, OptionSymbol],
        callback: Optional[Callable[[BookTicker], object]] = None,
        *,
        timeout: Optional[float] = None,
    ) -> Subscription[BookTicker]:
        """The best bid and ask of an option on every change (``BookTicker``; fstream only).

        Args:
            symbol: The option symbol, e.g. ``"BTC-261225-100000-C"``.
            callback: Called with each ``BookTicker``; None sends the events to the client's
                queue until the subscription is read with its own ``get``/``events``.
            timeout: Seconds to wait for the exchange's confirmation.

        Example:
            >>> client.subscribe_book_ticker("BTC-261225-100000-C")   # doctest: +SKIP
        """
        self._require(StreamKind.BOOK_TICKER, "subscribe_book_ticker")
        return self._subscribe_kind(self.dialect.book_ticker(symbol), BookTicker, callback, timeout)

    def subscribe_diff_depth(
        self,
        symbol: Union[str, OptionSymbol],
        speed: Union[str, int, None] = None,
        callback: Optional[Callable[[DepthUpdate], object]] = None,
        *,
        timeout: Optional[float] = None,
    ) -> Subscription[DepthUpdate]:
        """Changes to an option's order book (``DepthUpdate`` events; fstream only).

        To keep a whole local book from them, use :class:`~binance_options_ws.OrderBook`.

        Args:
            symbol: The option symbol.
            speed: ``"100ms"`` or ``"500ms"`` (the default).
            callback: Called with each ``DepthUpdate``; None sends the events to the client's
                queue until the subscription is read with its own ``get``/``events``.
            timeout: Seconds to wait for the exchange's confirmation.

        Example:
            >>> client.subscribe_diff_depth("BTC-261225-100000-C", "100ms")   # doctest: +SKIP
        """
        self._require(StreamKind.DIFF_DEPTH, "subscribe_diff_depth")
        return self._subscribe_kind(
            self.dialect.diff_depth(symbol, speed), DepthUpdate, callback, timeout
        )

    def _require(self, kind: StreamKind, method: str) -> None:
        """Refuse a stream kind this endpoint lacks, naming the endpoints that have it."""
        if kind in self.dialect.kinds:
            return
        others = endpoints_with(kind)
        if not others:
            raise InvalidArgumentError(f"{method}: no endpoint has {kind} streams")
        raise InvalidArgumentError(
            f"{method} needs the {' or '.join(others)} endpoint, which has this stream; "
            f"create the client with StreamClient(endpoint={others[0]!r})"
        )
