"""Hypothesis strategies shared by the generated-query tests: values for the custom scalars."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st
from hypothesis_graphql import nodes

MOMENTS = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2030, 1, 1), timezones=st.just(dt.UTC))
SCALARS = {
    "DateTime": MOMENTS.map(lambda m: nodes.String(m.isoformat())),
    "Date": st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 1, 1)).map(
        lambda d: nodes.String(d.isoformat())
    ),
    "Decimal": st.decimals(min_value=0, max_value=10_000, places=2).map(lambda d: nodes.String(str(d))),
    "JSON": st.just(nodes.String("{}")),
    "_Any": st.just(nodes.String("{}")),
}
