"""The answer to "which symbols can I subscribe to?": Binance's options exchange information.

:func:`parse_exchange_info` turns the JSON body of ``GET /eapi/v1/exchangeInfo``
into an :class:`ExchangeInfo`, and the helpers on it pick symbols for the
subscribe methods::

    >>> info = parse_exchange_info(body)          # or RestClient().exchange_info()
    >>> info.underlyings()
    ['BTC', 'ETH']
    >>> expiry = info.nearest_expiration("BTC")
    >>> info.symbols("BTC", expiry, side="CALL")[:1]
    [OptionSymbol(underlying='BTC', expiration=datetime.date(2026, 9, 21), ...)]

Two names for one underlying: the REST API calls it by its index pair
(``underlying: "BTCUSDT"``), while option symbols and the stream builders use the
base asset (``"BTC"``). Every helper accepts either, in any case (``"BTC"``,
``"btc"``, ``"BTCUSDT"``), and :meth:`ExchangeInfo.underlyings` returns the base
assets, which is what the subscribe methods take.

Real responses differ from the documentation's example and change over time
(``status`` was added in 2026, ``makerFeeRate`` and ``takerFeeRate`` dropped,
strikes arrive as ``"100000.00000000"``). Parsing is tolerant: a missing or
unreadable field is None, an unknown field is ignored. Money values are floats,
except strikes, which stay exact as ``Decimal``.

This module is pure: no sockets, threads or clocks. "Nearest" expiration is
measured against the response's own ``serverTime``.
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple, Union

import attrs

from ._wire import (
    read_decimal,
    read_float,
    read_int,
    read_objects,
    read_str,
)
from .exceptions import InvalidResponseError, InvalidStreamError
from .symbols import OptionSide, OptionSymbol, parse_expiration, parse_side, read_side

__all__ = [
    "DEPTH_LIMITS",
    "DepthSnapshot",
    "ExchangeInfo",
    "LotSize",
    "OptionAsset",
    "OptionContract",
    "OptionSymbolInfo",
    "PriceFilter",
    "RateLimit",
    "parse_depth_snapshot",
    "parse_exchange_info",
]

#: The ``limit`` values ``GET /eapi/v1/depth`` accepts.
DEPTH_LIMITS = (10, 20, 50, 100, 500, 1000)

#: What an expiration argument may be: a date, or ``"YYMMDD"`` as in option symbols.
_Expiration = Union[_dt.date, str]

_MAX_LISTED_CHOICES = 12  # how many valid choices an error message lists before "..."


# --------------------------------------------------------------------------
# Response classes
# --------------------------------------------------------------------------


@attrs.frozen
class DepthSnapshot:
    """An option's order book at one moment (``GET /eapi/v1/depth``).

    Attributes:
        symbol: The option symbol asked for.
        bids: ``(price, quantity)`` pairs, best (highest) first.
        asks: ``(price, quantity)`` pairs, best (lowest) first.
        last_update_id: ``lastUpdateId`` (older answers: ``u``), the book's update id;
            diff-depth events after it continue the book.
        transaction_time: ``T``, milliseconds, or None.

    Example:
        >>> snap = parse_depth_snapshot("BTC-261225-100000-C",
        ...     {"bids": [["5", "1"]], "asks": [], "T": 1, "lastUpdateId": 7})
        >>> snap.last_update_id, snap.bids
        (7, ((5.0, 1.0),))
    """

    symbol: str
    bids: Tuple[Tuple[float, float], ...]
    asks: Tuple[Tuple[float, float], ...]
    last_update_id: int
    transaction_time: Optional[int] = None


@attrs.frozen
class PriceFilter:
    """A symbol's ``PRICE_FILTER``: the prices an order may use.

    A value of 0 disables that rule, as the documentation says.

    Attributes:
        min_price: ``minPrice``.
        max_price: ``maxPrice``.
        tick_size: ``tickSize``, the step between valid prices.
    """

    min_price: Optional[float] = None
    max_price: Optional[float] = None
    tick_size: Optional[float] = None


@attrs.frozen
class LotSize:
    """A symbol's ``LOT_SIZE`` filter: the quantities an order may use.

    Attributes:
        min_quantity: ``minQty``.
        max_quantity: ``maxQty``.
        step_size: ``stepSize``, the step between valid quantities.
    """

    min_quantity: Optional[float] = None
    max_quantity: Optional[float] = None
    step_size: Optional[float] = None


@attrs.frozen
class RateLimit:
    """One entry of ``rateLimits``, e.g. 2400 request weight per minute.

    Attributes:
        rate_limit_type: ``rateLimitType``, e.g. ``"REQUEST_WEIGHT"`` or ``"ORDERS"``.
        interval: ``interval``, e.g. ``"MINUTE"``.
        interval_num: ``intervalNum``, how many intervals the limit spans.
        limit: ``limit``.
    """

    rate_limit_type: Optional[str] = None
    interval: Optional[str] = None
    interval_num: Optional[int] = None
    limit: Optional[int] = None


@attrs.frozen
class OptionContract:
    """One entry of ``optionContracts``: an underlying that options are listed on.

    Attributes:
        underlying: ``underlying``, the index pair, e.g. ``"BTCUSDT"``.
        base_asset: ``baseAsset``, e.g. ``"BTC"`` (what the stream builders take).
        quote_asset: ``quoteAsset``, e.g. ``"USDT"``.
        settle_asset: ``settleAsset``, the asset options settle in.
    """

    underlying: Optional[str] = None
    base_asset: Optional[str] = None
    quote_asset: Optional[str] = None
    settle_asset: Optional[str] = None


@attrs.frozen
class OptionAsset:
    """One entry of ``optionAssets``.

    Attributes:
        name: ``name``, e.g. ``"USDT"``.
    """

    name: Optional[str] = None


@attrs.frozen
class OptionSymbolInfo:
    """One entry of ``optionSymbols``: a listed option and its trading rules.

    Attributes:
        symbol: ``symbol``, exactly as the exchange writes it, e.g. ``"BTC-260925-100000-C"``.
        option_symbol: ``symbol`` parsed into an :class:`OptionSymbol`, ready for the
            subscribe methods; None if the exchange lists a symbol that is not of the
            form ``UNDERLYING-YYMMDD-STRIKE-C|P`` (the helpers skip such entries).
        underlying: ``underlying``, the index pair, e.g. ``"BTCUSDT"``.
        side: ``side``, :attr:`OptionSide.CALL` or :attr:`OptionSide.PUT`.
        strike_price: ``strikePrice``, exact (``"100000.00000000"`` becomes
            ``Decimal('100000')``).
        expiration_time: ``expiryDate``, the expiry in milliseconds since the epoch.
        unit: ``unit``, the quantity of the underlying one contract represents.
        quote_asset: ``quoteAsset``, e.g. ``"USDT"``.
        min_quantity: ``minQty``.
        max_quantity: ``maxQty``.
        maker_fee_rate: ``makerFeeRate`` (absent from 2026 responses).
        taker_fee_rate: ``takerFeeRate`` (absent from 2026 responses).
        initial_margin: ``initialMargin``, a ratio.
        maintenance_margin: ``maintenanceMargin``, a ratio.
        min_initial_margin: ``minInitialMargin``, a ratio.
        min_maintenance_margin: ``minMaintenanceMargin``, a ratio.
        price_scale: ``priceScale``, decimal places of prices.
        quantity_scale: ``quantityScale``, decimal places of quantities.
        status: ``status``, e.g. ``"TRADING"`` (absent from older responses).
        contract_type: ``contractType``, e.g. ``"CRYPTO_OPTIONS"``.
        underlying_type: ``underlyingType``, e.g. ``"CRYPTO"``.
        price_filter: The ``PRICE_FILTER`` entry of ``filters``.
        lot_size: The ``LOT_SIZE`` entry of ``filters``.
    """

    symbol: str
    option_symbol: Optional[OptionSymbol] = None
    underlying: Optional[str] = None
    side: Optional[OptionSide] = None
    strike_price: Optional[Decimal] = None
    expiration_time: Optional[int] = None
    unit: Optional[float] = None
    quote_asset: Optional[str] = None
    min_quantity: Optional[float] = None
    max_quantity: Optional[float] = None
    maker_fee_rate: Optional[float] = None
    taker_fee_rate: Optional[float] = None
    initial_margin: Optional[float] = None
    maintenance_margin: Optional[float] = None
    min_initial_margin: Optional[float] = None
    min_maintenance_margin: Optional[float] = None
    price_scale: Optional[int] = None
    quantity_scale: Optional[int] = None
    status: Optional[str] = None
    contract_type: Optional[str] = None
    underlying_type: Optional[str] = None
    price_filter: Optional[PriceFilter] = None
    lot_size: Optional[LotSize] = None


@attrs.frozen(repr=False)
class ExchangeInfo:
    """The options exchange information: ``GET /eapi/v1/exchangeInfo``.

    Attributes:
        timezone: ``timezone``, e.g. ``"UTC"``.
        server_time: ``serverTime``, milliseconds since the epoch.
        rate_limits: ``rateLimits``.
        option_contracts: ``optionContracts``, the underlyings.
        option_assets: ``optionAssets``.
        option_symbols: ``optionSymbols``, every listed option with its filters.

    Underlying arguments accept the base asset or the index pair in any case
    (``"BTC"``, ``"btc"``, ``"BTCUSDT"``). Expiration arguments accept a
    ``datetime.date`` or ``"YYMMDD"``. Bad arguments raise
    :class:`InvalidStreamError` (a ``ValueError``) naming the value and the
    valid choices.
    """

    timezone: Optional[str] = None
    server_time: Optional[int] = None
    rate_limits: Tuple[RateLimit, ...] = ()
    option_contracts: Tuple[OptionContract, ...] = ()
    option_assets: Tuple[OptionAsset, ...] = ()
    option_symbols: Tuple[OptionSymbolInfo, ...] = ()

    def __repr__(self) -> str:
        # The default repr would print thousands of symbols into a notebook.
        return (
            f"ExchangeInfo(timezone={self.timezone!r}, server_time={self.server_time!r}, "
            f"underlyings={self.underlyings()!r}, option_symbols=<{len(self.option_symbols)}>)"
        )

    def underlyings(self) -> List[str]:
        """The base assets that have listed options, as the subscribe methods take them.

        Returns:
            Sorted base assets, e.g. ``["BTC", "ETH"]`` (not the pairs ``"BTCUSDT"``).

        Example:
            >>> info.underlyings()
            ['BTC', 'ETH']
        """
        return sorted({option.underlying for option in self._listed()})

    def expirations(self, underlying: str) -> List[_dt.date]:
        """The expiry dates listed for one underlying, earliest first.

        Args:
            underlying: ``"BTC"``, ``"btc"`` or ``"BTCUSDT"``.

        Returns:
            Sorted, distinct expiry dates (including any the exchange still lists
            after expiry; see :meth:`nearest_expiration`).

        Raises:
            InvalidStreamError: If no options are listed on ``underlying``.

        Example:
            >>> info.expirations("btc")[:2]
            [datetime.date(2026, 9, 21), datetime.date(2026, 9, 25)]
        """
        base = self._base_asset(underlying)
        return sorted({o.expiration for o in self._listed() if o.underlying == base})

    def symbols(
        self,
        underlying: Optional[str] = None,
        expiration: Optional[_Expiration] = None,
        side: Union[OptionSide, str, None] = None,
    ) -> List[OptionSymbol]:
        """The listed option symbols, optionally narrowed down, in chain order.

        Args:
            underlying: ``"BTC"``, ``"btc"`` or ``"BTCUSDT"``; None for every underlying.
            expiration: A ``datetime.date`` or ``"YYMMDD"``; None for every expiry.
            side: ``"CALL"``, ``"PUT"``, ``"C"``, ``"P"`` (any case) or an
                :class:`OptionSide`; None for both.

        Returns:
            :class:`OptionSymbol` objects sorted by underlying, expiry, strike, then
            calls before puts. Pass them straight to the subscribe methods.

        Raises:
            InvalidStreamError: If the underlying has no listed options, the
                expiration is not listed (for that underlying), or the side is not
                a call or put.

        Example:
            >>> [str(s) for s in info.symbols("BTC", "260925", side="P")]
            ['BTC-260925-90000-P']
        """
        base = None if underlying is None else self._base_asset(underlying)
        wanted_side = None if side is None else _side_argument(side)
        options = [o for o in self._listed() if base is None or o.underlying == base]
        if expiration is not None:
            date = parse_expiration(expiration)
            _check_listed(date, {o.expiration for o in options}, base)
            options = [o for o in options if o.expiration == date]
        if wanted_side is not None:
            options = [o for o in options if o.side is wanted_side]
        return sorted(options)

    def nearest_expiration(self, underlying: str) -> _dt.date:
        """The first expiry of an underlying that is still in the future.

        "Now" is the response's ``serverTime``, so the answer does not depend on
        the local clock; options whose ``expiryDate`` has passed are skipped. With
        no ``serverTime`` in the response the earliest listed expiry is returned.

        Args:
            underlying: ``"BTC"``, ``"btc"`` or ``"BTCUSDT"``.

        Returns:
            The expiry date.

        Raises:
            InvalidStreamError: If no options are listed on ``underlying``, or all
                of them have expired.

        Example:
            >>> info.nearest_expiration("ETH")
            datetime.date(2026, 9, 25)
        """
        base = self._base_asset(underlying)
        now = self.server_time
        dates: Set[_dt.date] = set()
        for info in self.option_symbols:
            option = info.option_symbol
            if option is None or option.underlying != base:
                continue
            if now is not None and _has_expired(info, option, now):
                continue
            dates.add(option.expiration)
        if not dates:
            raise InvalidStreamError(f"every option listed on {base} has already expired")
        return min(dates)

    def strikes_near(
        self,
        underlying: str,
        expiration: _Expiration,
        price: Union[float, int, Decimal],
        count: int,
    ) -> List[Decimal]:
        """The ``count`` listed strikes closest to ``price``, lowest first.

        Args:
            underlying: ``"BTC"``, ``"btc"`` or ``"BTCUSDT"``.
            expiration: A ``datetime.date`` or ``"YYMMDD"``.
            price: The reference price, usually the index price; must be positive.
            count: How many strikes, at least 1. Fewer come back if fewer are listed.

        Returns:
            Exact strikes; on a tie in distance the lower strike wins. Combine
            with :meth:`symbols` to get the symbols at those strikes.

        Raises:
            InvalidStreamError: If the underlying or expiration is not listed, or
                the price or count is not valid.

        Example:
            >>> info.strikes_near("BTC", "260921", price=101_000, count=2)
            [Decimal('100000'), Decimal('105000')]
        """
        base = self._base_asset(underlying)
        date = parse_expiration(expiration)
        reference = _positive_price(price)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise InvalidStreamError(f"count must be a whole number of at least 1, got {count!r}")
        options = [o for o in self._listed() if o.underlying == base]
        _check_listed(date, {o.expiration for o in options}, base)
        strikes = {o.strike for o in options if o.expiration == date}
        closest = sorted(strikes, key=lambda strike: (abs(strike - reference), strike))
        return sorted(closest[:count])

    # ----------------------------------------------------------------------
    # Private helpers
    # ----------------------------------------------------------------------

    def _listed(self) -> Iterator[OptionSymbol]:
        for info in self.option_symbols:
            if info.option_symbol is not None:
                yield info.option_symbol

    def _base_asset(self, underlying: object) -> str:
        """Resolve ``"BTC"``, ``"btc"`` or ``"BTCUSDT"`` to the listed base asset ``"BTC"``."""
        if not isinstance(underlying, str) or not underlying:
            raise InvalidStreamError(
                f"underlying must be a base asset such as 'BTC' or a pair such as "
                f"'BTCUSDT', got {underlying!r}"
            )
        bases = set(self.underlyings())
        aliases: Dict[str, str] = {base: base for base in bases}
        for contract in self.option_contracts:  # "BTCUSDT" -> "BTC"
            base = (contract.base_asset or "").upper()
            if contract.underlying and base in bases:
                aliases[contract.underlying.upper()] = base
        for info in self.option_symbols:
            if info.underlying and info.option_symbol is not None:
                aliases.setdefault(info.underlying.upper(), info.option_symbol.underlying)
        found = aliases.get(underlying.upper())
        if found is not None:
            return found
        if not bases:
            raise InvalidStreamError(
                f"underlying {underlying!r} has no listed options: the exchange "
                "information lists no option symbols at all"
            )
        raise InvalidStreamError(
            f"underlying {underlying!r} has no listed options; choose one of "
            f"{_choices(sorted(bases))} (pairs such as {sorted(bases)[0] + 'USDT'!r} work too)"
        )


# --------------------------------------------------------------------------
# Argument checks (errors name the bad value and the valid choices)
# --------------------------------------------------------------------------


def _choices(values: List[str]) -> str:
    shown = ", ".join(repr(value) for value in values[:_MAX_LISTED_CHOICES])
    return shown + (", ..." if len(values) > _MAX_LISTED_CHOICES else "")


def _side_argument(value: object) -> OptionSide:
    try:
        return parse_side(value)
    except InvalidStreamError as exc:
        raise InvalidStreamError(f"{exc} (or None for both)") from None


def _check_listed(date: _dt.date, listed: Set[_dt.date], base: Optional[str]) -> None:
    if date in listed:
        return
    where = f" on {base}" if base else ""
    valid = _choices([f"{day:%y%m%d}" for day in sorted(listed)]) or "none"
    raise InvalidStreamError(
        f"no options expire on {date:%Y-%m-%d} ({date:%y%m%d}){where}; listed expirations: {valid}"
    )


def _positive_price(value: object) -> Decimal:
    if not isinstance(value, bool) and isinstance(value, (int, float, Decimal)):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            number = Decimal(0)
        if number.is_finite() and number > 0:
            return number
    raise InvalidStreamError(f"price must be a positive number, got {value!r}")


def _has_expired(info: OptionSymbolInfo, option: OptionSymbol, now_ms: int) -> bool:
    if info.expiration_time is not None:
        return info.expiration_time <= now_ms
    server_date = _dt.datetime.fromtimestamp(now_ms / 1000, tz=_dt.timezone.utc).date()
    return option.expiration < server_date


# --------------------------------------------------------------------------
# Tolerant field readers
# --------------------------------------------------------------------------


def _book_side(value: Any, what: str, symbol: str) -> Tuple[Tuple[float, float], ...]:
    if not isinstance(value, list):
        raise InvalidResponseError(f"the depth of {symbol} has no list of {what}: {value!r:.100}")
    levels = []
    for level in value:
        price = read_float(level[0]) if isinstance(level, list) and len(level) >= 2 else None
        quantity = read_float(level[1]) if price is not None else None
        if price is None or quantity is None:
            raise InvalidResponseError(
                f"a {what} level of {symbol} is not [price, quantity]: {level!r}"
            )
        levels.append((price, quantity))
    return tuple(levels)


def parse_depth_snapshot(symbol: str, body: Any) -> DepthSnapshot:
    """Read the answer of ``GET /eapi/v1/depth`` into a :class:`DepthSnapshot`.

    Raises:
        InvalidResponseError: If the body lacks the update id or the book sides.

    Example:
        >>> parse_depth_snapshot("X", {"bids": [], "asks": [], "u": "12"}).last_update_id
        12
    """
    if not isinstance(body, dict):
        raise InvalidResponseError(f"the depth of {symbol} is not a JSON object: {body!r:.100}")
    update_id = read_int(body.get("lastUpdateId", body.get("u")))
    if update_id is None:
        raise InvalidResponseError(f"the depth of {symbol} has no lastUpdateId: {body!r:.200}")
    return DepthSnapshot(
        symbol,
        _book_side(body.get("bids"), "bids", symbol),
        _book_side(body.get("asks"), "asks", symbol),
        update_id,
        read_int(body.get("T")),
    )


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------


def _price_filter(d: Dict[str, Any]) -> PriceFilter:
    g = d.get
    return PriceFilter(
        read_float(g("minPrice")), read_float(g("maxPrice")), read_float(g("tickSize"))
    )


def _lot_size(d: Dict[str, Any]) -> LotSize:
    g = d.get
    return LotSize(read_float(g("minQty")), read_float(g("maxQty")), read_float(g("stepSize")))


def _symbol_info(d: Dict[str, Any]) -> Optional[OptionSymbolInfo]:
    symbol = d.get("symbol")
    if not isinstance(symbol, str) or not symbol:
        return None  # an entry that names no symbol cannot be subscribed to or looked up
    price_filter: Optional[PriceFilter] = None
    lot_size: Optional[LotSize] = None
    for item in read_objects(d.get("filters")):
        kind = item.get("filterType")
        if kind == "PRICE_FILTER":
            price_filter = _price_filter(item)
        elif kind == "LOT_SIZE":
            lot_size = _lot_size(item)
    g = d.get
    return OptionSymbolInfo(
        symbol=symbol,
        option_symbol=OptionSymbol.read(symbol),
        underlying=read_str(g("underlying")),
        side=read_side(g("side")),
        strike_price=read_decimal(g("strikePrice")),
        expiration_time=read_int(g("expiryDate")),
        unit=read_float(g("unit")),
        quote_asset=read_str(g("quoteAsset")),
        min_quantity=read_float(g("minQty")),
        max_quantity=read_float(g("maxQty")),
        maker_fee_rate=read_float(g("makerFeeRate")),
        taker_fee_rate=read_float(g("takerFeeRate")),
        initial_margin=read_float(g("initialMargin")),
        maintenance_margin=read_float(g("maintenanceMargin")),
        min_initial_margin=read_float(g("minInitialMargin")),
        min_maintenance_margin=read_float(g("minMaintenanceMargin")),
        price_scale=read_int(g("priceScale")),
        quantity_scale=read_int(g("quantityScale")),
        status=read_str(g("status")),
        contract_type=read_str(g("contractType")),
        underlying_type=read_str(g("underlyingType")),
        price_filter=price_filter,
        lot_size=lot_size,
    )


def parse_exchange_info(data: Any) -> ExchangeInfo:
    """Turn the decoded JSON of ``GET /eapi/v1/exchangeInfo`` into an :class:`ExchangeInfo`.

    Args:
        data: The decoded body, a JSON object.

    Returns:
        The parsed exchange information. Missing lists are empty, missing fields
        None; unknown fields and entries that are not objects are ignored, as are
        symbol entries without a ``symbol``.

    Raises:
        InvalidResponseError: If ``data`` is not a JSON object.

    Example:
        >>> parse_exchange_info({"timezone": "UTC", "optionSymbols": []}).timezone
        'UTC'
    """
    if not isinstance(data, dict):
        raise InvalidResponseError(
            f"exchangeInfo must be a JSON object, got {type(data).__name__}: {str(data)[:200]}"
        )
    symbols = (_symbol_info(item) for item in read_objects(data.get("optionSymbols")))
    return ExchangeInfo(
        timezone=read_str(data.get("timezone")),
        server_time=read_int(data.get("serverTime")),
        rate_limits=tuple(
            RateLimit(
                read_str(d.get("rateLimitType")),
                read_str(d.get("interval")),
                read_int(d.get("intervalNum")),
                read_int(d.get("limit")),
            )
            for d in read_objects(data.get("rateLimits"))
        ),
        option_contracts=tuple(
            OptionContract(
                read_str(d.get("underlying")),
                read_str(d.get("baseAsset")),
                read_str(d.get("quoteAsset")),
                read_str(d.get("settleAsset")),
            )
            for d in read_objects(data.get("optionContracts"))
        ),
        option_assets=tuple(
            OptionAsset(read_str(d.get("name"))) for d in read_objects(data.get("optionAssets"))
        ),
        option_symbols=tuple(info for info in symbols if info is not None),
    )
