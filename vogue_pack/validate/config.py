"""Which finding codes to report and at what severity: vogue-pack.toml, [tool.vogue-pack], CLI options.

A configuration names codes exactly (``xref.unknown-item``) or by family prefix (``xref``,
``image.near-duplicate``: a prefix matches the code itself and every code that continues it after a
dot)::

    # vogue-pack.toml (or the same keys under [tool.vogue-pack] in pyproject.toml)
    select = ["xref", "privacy"]         # report only these (default: everything)
    ignore = ["privacy.url"]             # never report these
    [severity]                           # change a code's severity: "error", "warning" or "off"
    "xref.text-mentions-differ" = "error"
    "image.near-duplicate" = "off"

Where it is read from: the ``explicit`` file if given; else the first of ``vogue-pack.toml`` or a
``pyproject.toml`` holding ``[tool.vogue-pack]`` in the raw root, in the folder above it when the root
is a ``data/`` folder, then in the current directory. One file is used, never merged.

CLI ``--select`` replaces the file's ``select``; CLI ``--ignore`` adds to its ``ignore``. When several
patterns match a code, the most specific one (the longest) decides; between a select and an ignore
pattern of equal length, ignore wins. Unknown codes and keys are configuration errors (exit 2), so a
typo never silently turns a check off.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vogue_pack.errors import UsageError
from vogue_pack.report.findings import Finding, Severity

CONFIG_NAME = "vogue-pack.toml"
PYPROJECT = "pyproject.toml"
KEYS = ("select", "ignore", "severity")
OFF = "off"


@dataclass(frozen=True)
class Config:
    """Selected and ignored code patterns, severity overrides, and the file they came from."""

    select: frozenset[str] = frozenset()
    ignore: frozenset[str] = frozenset()
    severity: dict[str, Severity] = field(default_factory=dict)
    source: Path | None = None

    def reports(self, code: str) -> bool:
        """Whether findings of ``code`` are kept."""
        best_select = _best_match(code, self.select) if self.select else 0
        if self.select and best_select < 0:
            return False
        best_ignore = _best_match(code, self.ignore)
        return not (best_ignore >= 0 and best_ignore >= best_select)

    def severity_of(self, code: str, default: Severity) -> Severity:
        """The severity of ``code`` after overrides (the most specific pattern wins)."""
        best, chosen = -1, default
        for pattern, severity in self.severity.items():
            if _matches(code, pattern) and len(pattern) > best:
                best, chosen = len(pattern), severity
        return chosen


def _matches(code: str, pattern: str) -> bool:
    return code == pattern or code.startswith(pattern + ".")


def _best_match(code: str, patterns: Iterable[str]) -> int:
    """Length of the longest pattern matching ``code``, -1 when none does."""
    return max((len(p) for p in patterns if _matches(code, p)), default=-1)


def _known_codes() -> set[str]:
    from vogue_pack.validate.catalogue import all_codes

    return set(all_codes())


def _check_pattern(pattern: Any, where: str, known: set[str]) -> str:
    if not isinstance(pattern, str) or not pattern.strip():
        raise UsageError(f"{where}: expected a finding code or family such as 'xref' or "
                         f"'xref.unknown-item', got {pattern!r}")
    pattern = pattern.strip()
    if not any(_matches(code, pattern) for code in known):
        close = sorted(c for c in known if c.split(".")[0] == pattern.split(".")[0])[:8]
        hint = f" (codes of that family: {', '.join(close)})" if close else \
            " (run `vogue-pack checks` or see docs/findings.md for the codes)"
        raise UsageError(f"{where}: {pattern!r} is not a finding code or family{hint}")
    return pattern


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: invalid TOML: {exc}") from exc
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the configuration file: {exc.strerror or exc}") from exc


def _section(path: Path, data: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
    """The vogue-pack settings of a parsed file and how to name them in messages."""
    if path.name == PYPROJECT:
        tool = data.get("tool")
        section = tool.get("vogue-pack") if isinstance(tool, dict) else None
        if section is None:
            return None
        if not isinstance(section, dict):
            raise UsageError(f"{path}: [tool.vogue-pack] must be a table")
        return section, "[tool.vogue-pack] "
    return data, ""


def find_config_file(raw_root: Path | None) -> Path | None:
    """The configuration file that applies to ``raw_root`` when none is given explicitly."""
    folders: list[Path] = []
    if raw_root is not None:
        folders.append(Path(raw_root))
        if Path(raw_root).name == "data":
            folders.append(Path(raw_root).parent)
    folders.append(Path.cwd())
    for folder in folders:
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
        pyproject = folder / PYPROJECT
        if pyproject.is_file() and _section(pyproject, _read_toml(pyproject)) is not None:
            return pyproject
    return None


def _parse(path: Path, known: set[str]) -> Config:
    data = _read_toml(path)
    found = _section(path, data)
    if found is None:
        raise UsageError(f"{path}: no [tool.vogue-pack] table")
    section, prefix = found
    for key in section:
        if key not in KEYS:
            raise UsageError(f"{path}: unknown key {prefix}{key!r} (known: {', '.join(KEYS)})")
    lists: dict[str, frozenset[str]] = {}
    for key in ("select", "ignore"):
        value = section.get(key, [])
        if not isinstance(value, list):
            raise UsageError(f"{path}: {prefix}{key} must be a list of codes, e.g. {key} = [\"xref\"]")
        lists[key] = frozenset(_check_pattern(p, f"{path}: {prefix}{key}", known) for p in value)
    raw_severity = section.get("severity", {})
    if not isinstance(raw_severity, dict):
        raise UsageError(f"{path}: {prefix}severity must be a table of code = \"error\" | \"warning\" | \"off\"")
    severity: dict[str, Severity] = {}
    ignore = set(lists["ignore"])
    for pattern, level in raw_severity.items():
        where = f"{path}: {prefix}severity.{pattern}"
        pattern = _check_pattern(pattern, where, known)
        if level == OFF:
            ignore.add(pattern)
            continue
        try:
            severity[pattern] = Severity(level)
        except ValueError:
            raise UsageError(f"{where}: severity must be \"error\", \"warning\" or \"off\", "
                             f"not {level!r}") from None
    return Config(select=lists["select"], ignore=frozenset(ignore), severity=severity, source=path)


def load_config(raw_root: Path | None, explicit: Path | None = None, select: Sequence[str] = (),
                ignore: Sequence[str] = ()) -> Config:
    """The configuration of one run (see the module docstring for where it is read from).

    A bad configuration file or an unknown code is a UsageError naming the file and key.
    """
    known = _known_codes()
    path = Path(explicit) if explicit is not None else find_config_file(raw_root)
    if explicit is not None and not Path(explicit).is_file():
        raise UsageError(f"{explicit}: configuration file not found")
    config = _parse(path, known) if path is not None else Config()
    cli_select = frozenset(_check_pattern(p, "--select", known) for p in select)
    cli_ignore = frozenset(_check_pattern(p, "--ignore", known) for p in ignore)
    return Config(
        select=cli_select or config.select,
        ignore=config.ignore | cli_ignore,
        severity=dict(config.severity),
        source=config.source,
    )


def apply_config(findings: list[Finding], config: Config) -> list[Finding]:
    """Drop findings the configuration does not report and apply its severity overrides."""
    if not (config.select or config.ignore or config.severity):
        return list(findings)
    kept: list[Finding] = []
    reports: dict[str, bool] = {}
    for item in findings:
        keep = reports.get(item.code)
        if keep is None:
            keep = reports[item.code] = config.reports(item.code)
        if not keep:
            continue
        severity = config.severity_of(item.code, item.severity)
        kept.append(item if severity is item.severity else item.with_severity(severity))
    return kept
