"""Release expectations: Great Expectations suites (checks/expectations/*.json) run over the release tables.

Each suite is a GX 1.x ExpectationSuite in GX's own JSON format, aimed at one table of the data model
(``meta.table``, else the suite ``name``). Bounds that depend on the raw tree are GX suite parameters
(``{"$PARAMETER": "raw_transcript"}``), filled in by :func:`suite_parameters`. Every failed expectation
becomes a finding of the ``expect.*`` family whose ``file`` is the table, so a release gate failure lands
in the same report as every other problem.

Two engines evaluate the suites and give the same findings. By default the native engine
(vogue_pack.validate.expect_engine) computes each expectation over the Arrow tables with Great
Expectations' semantics; Great Expectations is the reference engine (``engine="gx"``), and also runs any
expectation the native engine does not implement. It is imported only then (its import takes seconds),
in an ephemeral context with analytics and progress bars off; nothing is written to disk.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from vogue_pack.errors import DependencyMissing, UsageError
from vogue_pack.report.findings import Finding, Severity
from vogue_pack.validate.expect_engine import PARTIAL_COUNT, Outcome, evaluate

# Expectation type -> finding code (a suite can override with meta {"code": "expect.<...>"}).
_CODE_BY_TYPE: dict[str, str] = {
    "expect_table_row_count_to_be_between": "expect.row-count",
    "expect_table_row_count_to_equal": "expect.row-count",
    "expect_table_row_count_to_equal_other_table": "expect.row-count",
    "expect_column_values_to_be_unique": "expect.unique",
    "expect_compound_columns_to_be_unique": "expect.unique",
    "expect_select_column_values_to_be_unique_within_record": "expect.unique",
    "expect_column_values_to_be_in_set": "expect.value-set",
    "expect_column_values_to_not_be_in_set": "expect.value-set",
    "expect_column_distinct_values_to_be_in_set": "expect.value-set",
    "expect_column_distinct_values_to_contain_set": "expect.value-set",
    "expect_column_distinct_values_to_equal_set": "expect.value-set",
    "expect_column_values_to_match_regex": "expect.value-set",
    "expect_column_values_to_not_match_regex": "expect.value-set",
    "expect_column_values_to_be_of_type": "expect.value-set",
    "expect_column_values_to_be_between": "expect.range",
    "expect_column_pair_values_a_to_be_greater_than_b": "expect.range",
    "expect_column_value_lengths_to_be_between": "expect.range",
    "expect_column_min_to_be_between": "expect.range",
    "expect_column_max_to_be_between": "expect.range",
    "expect_column_mean_to_be_between": "expect.distribution",
    "expect_column_median_to_be_between": "expect.distribution",
    "expect_column_stdev_to_be_between": "expect.distribution",
    "expect_column_sum_to_be_between": "expect.distribution",
    "expect_column_unique_value_count_to_be_between": "expect.distribution",
    "expect_column_proportion_of_unique_values_to_be_between": "expect.distribution",
    "expect_column_most_common_value_to_be_in_set": "expect.distribution",
    "expect_column_quantile_values_to_be_between": "expect.distribution",
    "expect_column_kl_divergence_to_be_less_than": "expect.distribution",
    "expect_column_values_to_not_be_null": "expect.missing",
    "expect_column_values_to_be_null": "expect.missing",
}

# GX's expectation severity -> ours.
_SEVERITY = {"critical": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.WARNING}

# Keyword arguments that name columns (the batch only carries the columns a suite uses).
_COLUMN_KWARGS = ("column", "column_A", "column_B")
_COLUMN_LIST_KWARGS = ("column_list",)
_NOT_EXPECTED = {"batch_id", "column", "column_list", "column_A", "column_B", "result_format",
                 "catch_exceptions", "include_config", "condition_parser", "row_condition"}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


@dataclass(frozen=True)
class Suite:
    """One suite file: its path, the table it checks and its raw GX JSON."""

    path: Path
    table: str
    data: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.data.get("name") or self.path.stem)


def suites_path() -> Path:
    """The shipped suites: ``checks/expectations/`` (in a checkout or the installed wheel)."""
    from vogue_pack.resources import data_dir

    return data_dir("checks") / "expectations"


def load_suites(suites_dir: Path | None = None) -> list[Suite]:
    """Read every ``*.json`` suite of ``suites_dir`` (sorted by file name). A malformed file is a usage
    error (exit 2): the gate cannot run on a suite it cannot read."""
    folder = Path(suites_dir) if suites_dir is not None else suites_path()
    if not folder.is_dir():
        raise UsageError(f"expectation suites folder not found: {folder}")
    suites = []
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise UsageError(f"cannot read expectation suite {path}: {exc}") from exc
        if not isinstance(data, dict) or not isinstance(data.get("expectations"), list):
            raise UsageError(f"{path}: not a Great Expectations suite (an object with an 'expectations' list)")
        meta = data.get("meta")
        meta = meta if isinstance(meta, dict) else {}
        table = str(meta.get("table") or data.get("name") or path.stem)
        suites.append(Suite(path=path, table=table, data=data))
    return suites


def suite_parameters(tables: dict[str, pa.Table], raw_counts: dict[str, int] | None = None) -> dict[str, int]:
    """The suite parameters a suite may reference with ``{"$PARAMETER": name}``.

    - ``raw_<kind>``: files of each kind in the raw tree (``raw_transcript``, ``raw_item_json``,
      ``raw_image``, ...; kinds as in vogue_pack.raw.tree), from ``raw_counts`` if given, else from the
      ``files`` table;
    - ``raw_rating_rows`` = 2 x ``raw_transcript`` (one Seeker and one Assistant row per conversation),
      ``raw_satisfaction_answers`` = 5 x ``raw_transcript`` (five Likert answers per conversation);
    - ``rows_<table>``: rows of every table given;
    - ``expected_item_ratings`` = 2 x ``rows_conversation_items`` (both roles rate every catalogue item
      of the conversation).
    """
    counts: dict[str, int] = {}
    if raw_counts is not None:
        counts.update({str(k): int(v) for k, v in raw_counts.items()})
    elif "files" in tables:
        counts.update(Counter(str(k) for k in tables["files"].column("kind").to_pylist()))
    params = {f"raw_{kind}": n for kind, n in sorted(counts.items())}
    if "raw_transcript" in params or "files" in tables or raw_counts is not None:
        transcripts = params.setdefault("raw_transcript", 0)
        params["raw_rating_rows"] = 2 * transcripts
        params["raw_satisfaction_answers"] = 5 * transcripts
        for kind in ("item_json", "image"):
            params.setdefault(f"raw_{kind}", 0)
    for name, table in sorted(tables.items()):
        params[f"rows_{name}"] = table.num_rows
    if "conversation_items" in tables:
        params["expected_item_ratings"] = 2 * tables["conversation_items"].num_rows
    return params


def _parameter_names(value: Any) -> set[str]:
    if isinstance(value, dict):
        if set(value) == {"$PARAMETER"}:
            return {str(value["$PARAMETER"])}
        return set().union(*(_parameter_names(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_parameter_names(v) for v in value)) if value else set()
    return set()


def _condition_columns(condition: Any) -> set[str]:
    """Columns named by a GX row condition: a Condition object's JSON, or a legacy string."""
    if isinstance(condition, str):
        return set(_IDENTIFIER.findall(condition))
    if isinstance(condition, dict):
        column = condition.get("column")
        names = {str(column["name"])} if isinstance(column, dict) and "name" in column else set()
        for inner in condition.get("conditions") or []:
            names |= _condition_columns(inner)
        return names
    return set()


def condition_text(condition: Any) -> str:
    """A GX row condition as a person reads it, e.g. ``role == "Seeker"``."""
    if isinstance(condition, dict):
        if condition.get("type") == "comparison" and isinstance(condition.get("column"), dict):
            parameter = json.dumps(condition.get("parameter"), ensure_ascii=False)
            return f"{condition['column'].get('name')} {condition.get('operator')} {parameter}"
        inner = condition.get("conditions")
        if isinstance(inner, list) and condition.get("type") in ("and", "or"):
            joiner = f" {str(condition['type']).upper()} "
            return "(" + joiner.join(condition_text(c) for c in inner) + ")"
        return json.dumps(condition, ensure_ascii=False, sort_keys=True)
    return str(condition)


def _columns_used(expectation: dict[str, Any], available: list[str]) -> set[str]:
    kwargs = expectation.get("kwargs") or {}
    used = {str(kwargs[k]) for k in _COLUMN_KWARGS if isinstance(kwargs.get(k), str)}
    for key in _COLUMN_LIST_KWARGS:
        if isinstance(kwargs.get(key), list):
            used.update(str(c) for c in kwargs[key])
    condition_columns = _condition_columns(kwargs.get("row_condition"))
    if isinstance(kwargs.get("row_condition"), str):  # a legacy string: only words that are columns
        condition_columns &= set(available)
    return used | condition_columns


def _expectation_column(kwargs: dict[str, Any]) -> str | None:
    if isinstance(kwargs.get("column"), str):
        return str(kwargs["column"])
    if isinstance(kwargs.get("column_list"), list):
        return ",".join(str(c) for c in kwargs["column_list"])
    if isinstance(kwargs.get("column_A"), str):
        return f"{kwargs['column_A']},{kwargs.get('column_B')}"
    return None


def _code_for(expectation: dict[str, Any]) -> str:
    meta = expectation.get("meta") or {}
    code = meta.get("code") if isinstance(meta, dict) else None
    if isinstance(code, str) and code.startswith("expect."):
        return code
    return _CODE_BY_TYPE.get(str(expectation.get("type")), "expect.failed")


def _jsonable(value: Any) -> Any:
    """GX results hold numpy scalars; make them plain Python for findings."""
    if hasattr(value, "item") and callable(value.item) and not isinstance(value, list | dict | str):
        try:
            return value.item()
        except (TypeError, ValueError):
            return repr(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _describe(expectation: dict[str, Any]) -> str:
    text = expectation.get("description") or (expectation.get("meta") or {}).get("description")
    if text:
        return str(text)
    return str(expectation.get("type", "expectation")).replace("_", " ")


def _observed(result: dict[str, Any]) -> tuple[Any, str]:
    """The offending value of a failed expectation and a short phrase for the message."""
    if "observed_value" in result:
        value = _jsonable(result["observed_value"])
        return value, f"observed {value!r}" if isinstance(value, str) else f"observed {value}"
    if "unexpected_count" in result:
        sample = _jsonable(result.get("partial_unexpected_list") or [])[:5]
        count, total = result.get("unexpected_count"), result.get("element_count")
        phrase = f"{count} of {total} values unexpected"
        if sample:
            phrase += f", e.g. {', '.join(json.dumps(v, ensure_ascii=False, default=str) for v in sample)}"
        return sample, phrase
    return None, "failed"


def _exception_message(info: Any) -> str | None:
    """GX's exception_info is either one dict or a dict of them keyed by metric; None when nothing raised."""
    if not isinstance(info, dict):
        return None
    if "raised_exception" in info:
        return str(info.get("exception_message")) if info.get("raised_exception") else None
    for entry in info.values():
        if isinstance(entry, dict) and entry.get("raised_exception"):
            return str(entry.get("exception_message"))
    return None


def expected_text(expected: Mapping[str, Any]) -> str:
    """The bounds of an expectation as a person reads them: ``120..120 rows``, ``min_value=1, max_value=5``."""
    bounds = {k: v for k, v in expected.items() if k not in ("strict_min", "strict_max")}
    if set(bounds) <= {"min_value", "max_value", "mostly"} and {"min_value", "max_value"} & set(bounds):
        low, high = bounds.get("min_value"), bounds.get("max_value")
        text = f"{'-inf' if low is None else low}..{'inf' if high is None else high}"
        if "mostly" in bounds:
            text += f" for at least {bounds['mostly']:.0%} of the values"
        return text
    parts = []
    for key, value in expected.items():
        if isinstance(value, list) and len(value) > 8:
            shown = ", ".join(json.dumps(v, ensure_ascii=False, default=str) for v in value[:8])
            parts.append(f"{key}=[{shown}, … {len(value)} values]")
        else:
            parts.append(f"{key}={json.dumps(value, ensure_ascii=False, default=str)}")
    return ", ".join(parts) or "the expectation to hold"


def _not_run(suite: Suite, expectation: dict[str, Any] | None, why: str) -> Finding:
    kwargs = (expectation or {}).get("kwargs") or {}
    keys: dict[str, Any] = {"suite": suite.name}
    if expectation is not None:
        keys["expectation"] = expectation.get("type")
    return Finding(code="expect.not-run", severity=Severity.ERROR,
                   message=f"{suite.table}: {_describe(expectation) if expectation else 'suite ' + suite.name} "
                           f"could not run: {why}",
                   file=suite.table, column=_expectation_column(kwargs), keys=keys)


def _import_gx() -> Any:
    # Analytics off before GX is imported: GX reads the variable at import and at context creation.
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    try:
        import great_expectations as gx
    except ImportError as exc:
        raise DependencyMissing(
            "release expectations need Great Expectations: pip install 'great-expectations>=1.0'"
        ) from exc
    return gx


ENGINES = ("native", "gx")


def run_expectations(
    tables: dict[str, pa.Table],
    raw_counts: dict[str, int] | None = None,
    suites_dir: Path | None = None,
    *,
    unavailable: Mapping[str, str] | None = None,
    skip_tables: tuple[str, ...] = (),
    skip_parameters: tuple[str, ...] = (),
    engine: str = "native",
) -> list[Finding]:
    """Run the expectation suites over ``tables``; every failed expectation becomes a finding.

    ``raw_counts`` maps raw-file kinds to counts (default: counted from the ``files`` table); see
    :func:`suite_parameters`. Findings come in suite-file order, then expectation order. A table or
    column a suite needs that is missing, or an expectation GX cannot evaluate, gives ``expect.not-run``
    (an error). ``unavailable`` (table -> why, as in pipeline.Validation) names tables that were not built
    on purpose, e.g. images with ``--no-images``: their suites are skipped with an ``expect.not-run``
    warning that says why. Suites of ``skip_tables`` were switched off (``--no-images``): they do not run
    and yield nothing (the caller records that they were off); so do expectations bounded by a suite
    parameter of ``skip_parameters`` (``raw_image`` under ``--no-images``).

    ``engine="native"`` (the default) evaluates each expectation with vogue_pack.validate.expect_engine,
    which reproduces Great Expectations' results over the Arrow tables; an expectation it does not
    implement runs through Great Expectations, imported only then. ``engine="gx"`` runs every expectation
    through Great Expectations, the reference engine. Both give the same findings.
    """
    if engine not in ENGINES:
        raise UsageError(f"unknown expectation engine {engine!r} (choose from {', '.join(ENGINES)})")
    unavailable = unavailable or {}
    suites = load_suites(suites_dir)
    params = suite_parameters(tables, raw_counts)
    reference = _GreatExpectations()

    findings: list[Finding] = []
    for suite in suites:
        if suite.table in skip_tables:
            continue
        table = tables.get(suite.table)
        expectations = [e for e in suite.data["expectations"] if isinstance(e, dict)]
        if suite.table in unavailable:
            skipped = _not_run(suite, None, unavailable[suite.table])
            findings.append(skipped.with_severity(Severity.WARNING))
            continue
        if table is None:
            findings.append(_not_run(suite, None, f"the table {suite.table!r} was not built"))
            continue
        runnable: list[tuple[int, dict[str, Any]]] = []
        for index, expectation in enumerate(expectations):
            if _parameter_names(expectation.get("kwargs")) & set(skip_parameters):
                continue  # bounded by something switched off (e.g. raw_image under --no-images)
            missing_params = sorted(_parameter_names(expectation.get("kwargs")) - set(params))
            missing_columns = sorted(_columns_used(expectation, table.column_names) - set(table.column_names))
            if missing_params:
                findings.append(_not_run(suite, expectation, f"unknown bound {', '.join(missing_params)}"))
            elif missing_columns:
                findings.append(_not_run(suite, expectation, f"no column {', '.join(missing_columns)}"))
            else:
                runnable.append((index, expectation))
        if not runnable:
            continue
        outcomes: dict[int, Outcome] = {}
        if engine == "native":
            for index, expectation in runnable:
                outcome = evaluate(table, expectation, params)
                if outcome is not None:
                    outcomes[index] = outcome
        rest = [(index, expectation) for index, expectation in runnable if index not in outcomes]
        if rest:
            outcomes.update(reference.run(suite, table, rest, params))
        for index, expectation in runnable:
            findings.extend(_result_findings(suite, expectation, outcomes[index]))
    return findings


class _GreatExpectations:
    """The reference engine: one ephemeral GX context, created on first use (GX's import takes seconds)."""

    def __init__(self) -> None:
        self._datasource: Any = None

    def _source(self) -> Any:
        if self._datasource is None:
            gx = _import_gx()
            from great_expectations.data_context.types.base import (
                DataContextConfig,
                InMemoryStoreBackendDefaults,
                ProgressBarsConfig,
            )

            config = DataContextConfig(
                store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
                analytics_enabled=False,
                progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
            )
            context = gx.get_context(mode="ephemeral", project_config=config)
            self._datasource = context.data_sources.add_pandas("vogue_pack")
        return self._datasource

    def run(self, suite: Suite, table: pa.Table, runnable: list[tuple[int, dict[str, Any]]],
            params: Mapping[str, Any]) -> dict[int, Outcome]:
        """Validate ``runnable`` (index, expectation) of ``suite`` over ``table``; outcomes by index."""
        datasource = self._source()
        from great_expectations import exceptions as gx_exceptions
        from great_expectations.core.expectation_suite import ExpectationSuite
        from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

        needed: set[str] = set()
        for _, expectation in runnable:
            needed |= _columns_used(expectation, table.column_names)
        # The position of each expectation rides along in meta: GX returns results in its own order.
        built = []
        for index, expectation in runnable:
            entry = {k: v for k, v in expectation.items() if k not in ("id", "rendered_content")}
            entry["meta"] = {**(expectation.get("meta") or {}), "vogue_pack_index": index}
            try:  # built one by one: ExpectationSuite(...) would log and drop an invalid one
                built.append(ExpectationConfiguration(**entry).to_domain_obj())
            except (gx_exceptions.GreatExpectationsError, ValueError, TypeError, KeyError) as exc:
                raise UsageError(f"invalid expectation #{index + 1} ({expectation.get('type')}) in "
                                 f"{suite.path}: {exc}") from exc
        gx_suite = ExpectationSuite(name=suite.name, expectations=built)
        frame = table.select([c for c in table.column_names if c in needed]).to_pandas()
        asset = datasource.add_dataframe_asset(name=suite.path.stem)
        batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(
            batch_parameters={"dataframe": frame})
        outcome = batch.validate(gx_suite, expectation_parameters=dict(params),
                                 result_format={"result_format": "SUMMARY",
                                                "partial_unexpected_count": PARTIAL_COUNT})
        outcomes = {}
        for result in outcome.results:
            error = _exception_message(result.exception_info)
            outcomes[int(result.expectation_config.meta["vogue_pack_index"])] = Outcome(
                success=bool(result.success), kwargs=dict(result.expectation_config.kwargs),
                result=dict(result.result or {}), error=error)
        return outcomes


def _result_findings(suite: Suite, expectation: dict[str, Any], outcome: Outcome) -> list[Finding]:
    if outcome.success:
        return []
    if outcome.error is not None:
        return [_not_run(suite, expectation, outcome.error.splitlines()[0][:300])]
    kwargs = expectation.get("kwargs") or {}
    value, phrase = _observed(_jsonable(dict(outcome.result)))
    expected = {k: _jsonable(v) for k, v in sorted(outcome.kwargs.items())
                if k not in _NOT_EXPECTED and v is not None}
    severity = _SEVERITY.get(str(expectation.get("severity", "critical")).lower(), Severity.ERROR)
    keys: dict[str, Any] = {"suite": suite.name, "expectation": expectation.get("type")}
    if kwargs.get("row_condition"):
        keys["row_condition"] = condition_text(kwargs["row_condition"])
    return [Finding(
        code=_code_for(expectation), severity=severity,
        message=f"{suite.table}: {_describe(expectation)} — {phrase}; expected {expected_text(expected)}",
        file=suite.table, column=_expectation_column(kwargs), keys=keys,
        value=value, expected=expected,
    )]
