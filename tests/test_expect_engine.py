"""The native expectation engine against Great Expectations, the reference: the same findings on the tables
of a validated tree and on damaged copies of them (values out of range, nulls, duplicate keys, constant
distributions, empty tables)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from vogue_pack.synth import SynthInfo
from vogue_pack.validate.expectations import run_expectations
from vogue_pack.validate.pipeline import ValidateOptions, validate

Tables = dict[str, pa.Table]


@pytest.fixture(scope="module")
def tables(small_tree: SynthInfo) -> Tables:
    return dict(validate(small_tree.root, ValidateOptions(expectations=False)).tables)


def _set(table_name: str, column: str, make: Callable[[pa.Table], pa.Array]) -> Callable[[Tables], Tables]:
    def mutate(tables: Tables) -> Tables:
        table = tables[table_name]
        index = table.column_names.index(column)
        return {**tables, table_name: table.set_column(index, table.schema.field(column), make(table))}
    return mutate


def _every(column: str, value: Any, every: int) -> Callable[[pa.Table], pa.Array]:
    def make(table: pa.Table) -> pa.Array:
        values = table.column(column).to_pylist()
        return pa.array([value if i % every == 0 else v for i, v in enumerate(values)],
                        type=table.schema.field(column).type)
    return make


def _duplicate_rows(table_name: str) -> Callable[[Tables], Tables]:
    def mutate(tables: Tables) -> Tables:
        table = tables[table_name]
        return {**tables, table_name: pa.concat_tables([table, table.slice(0, 3)])}
    return mutate


def _empty(table_name: str) -> Callable[[Tables], Tables]:
    def mutate(tables: Tables) -> Tables:
        return {**tables, table_name: tables[table_name].slice(0, 0)}
    return mutate


def _constant(table_name: str, column: str, value: Any) -> Callable[[Tables], Tables]:
    def make(table: pa.Table) -> pa.Array:
        return pc.if_else(pc.is_valid(table.column(column)),
                          pa.scalar(value, type=table.schema.field(column).type), table.column(column)).combine_chunks()
    return _set(table_name, column, make)


MUTATIONS: dict[str, Callable[[Tables], Tables]] = {
    "clean": lambda t: t,
    "ratings out of range and null": lambda t: _set("item_ratings", "rating", _every("rating", 9, 7))(
        _set("item_ratings", "rating", _every("rating", None, 11))(t)),
    "constant ratings": _constant("item_ratings", "rating", 3),
    "duplicate keys": lambda t: _duplicate_rows("conversations")(_duplicate_rows("item_ratings")(t)),
    "empty tables": lambda t: _empty("satisfaction")(_empty("turns")(t)),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_native_engine_matches_great_expectations(name: str, tables: Tables) -> None:
    damaged = MUTATIONS[name](tables)
    native = [f.to_dict() for f in run_expectations(damaged, engine="native")]
    reference = [f.to_dict() for f in run_expectations(damaged, engine="gx")]
    assert native == reference
    if name != "clean":
        assert native, f"{name}: the damage should fail at least one expectation"


def test_unknown_engine_is_a_usage_error(tables: Tables) -> None:
    from vogue_pack.errors import UsageError

    with pytest.raises(UsageError):
        run_expectations(tables, engine="spark")
