"""The order book: orders in, matches out, every step in a journal.

- :mod:`.service`: :class:`BidManager`, the book's use cases (submit, cancel,
  match, assets through :mod:`plaza.market.assets`), one command at a time;
- :mod:`.order_book`: :class:`OrderBook`, the book itself, rebuilt from the journal;
- :mod:`.journal`: the journal's entries and the order changes they make;
- :mod:`.views`: read-side values (statistics, suggestions, queries);
- :mod:`.ports`: the journal store and the orders' twins; :mod:`.memory` and
  :mod:`.sqlite` adapt the store (:mod:`plaza.market.sql.book_store` too);
- :mod:`.codec`: the journal's JSON, shared by the SQL and SQLite stores and the twins.

The values (:class:`~plaza.market.model.Order`, ``Match``) and the error family
are the market's (:mod:`plaza.market.model`, :mod:`plaza.market.errors`); the
public names are exported by :mod:`plaza.market`.
"""
