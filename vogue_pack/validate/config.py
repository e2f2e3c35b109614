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

Safety checks (:data:`SAFETY_CODES`: a path or link leaving the tree, a file that is not a regular file,
an image bomb, an image that does not decode, a check that could not run ...) are never switched off
or downgraded by any configuration: a family pattern such as ``tree`` leaves them out, and naming one
exactly in ``ignore`` or ``severity`` is a configuration error.

The effective configuration and where it came from is :meth:`Config.provenance` (recorded in report.json,
and by build in manifest.json and the dataset card).
"""

from __future__ import annotations

import hashlib
import os
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

# Codes no configuration can switch off or downgrade: what they catch could harm whoever reads the release
# or makes every other verdict meaningless (a check that did not run, a report that lost errors).
SAFETY_CODES = frozenset({
    "tree.symlink", "tree.outside-root", "tree.not-a-file", "tree.unreadable", "tree.duplicate-id", "file.too-large",
    "json.depth",
    "image.bomb", "image.decode", "image.signature", "image.empty", "check.not-run", "expect.not-run",
})


@dataclass(frozen=True)
class Config:
    """Selected and ignored code patterns, severity overrides, and the file they came from."""

    select: frozenset[str] = frozenset()
    ignore: frozenset[str] = frozenset()
    severity: dict[str, Severity] = field(default_factory=dict)
    source: Path | None = None
    # where the file was found: "raw-tree" (in the raw root or the folder above data/), "explicit"
    # (--config), "current-directory"; None without a file
    origin: str | None = None
    source_sha256: str | None = None
    source_display: str | None = None
    cli_select: frozenset[str] = frozenset()
    cli_ignore: frozenset[str] = frozenset()
    file_select: frozenset[str] = frozenset()
    file_ignore: frozenset[str] = frozenset()

    def reports(self, code: str) -> bool:
        """Whether findings of ``code`` are kept (a safety code always is)."""
        if code in SAFETY_CODES:
            return True
        best_select = _best_match(code, self.select) if self.select else 0
        if self.select and best_select < 0:
            return False
        best_ignore = _best_match(code, self.ignore)
        return not (best_ignore >= 0 and best_ignore >= best_select)

    def severity_of(self, code: str, default: Severity) -> Severity:
        """The severity of ``code`` after overrides (the most specific pattern wins; a safety code keeps
        its own)."""
        if code in SAFETY_CODES:
            return default
        best, chosen = -1, default
        for pattern, severity in self.severity.items():
            if _matches(code, pattern) and len(pattern) > best:
                best, chosen = len(pattern), severity
        return chosen


    def switched_off(self, catalogue: dict[str, Any], *, file_only: bool = False) -> dict[str, str]:
        """Error-level codes of ``catalogue`` this configuration does not report ("ignored") or reports as
        warnings ("downgraded"). ``file_only``: what the configuration file alone does, without the command
        line."""
        config = Config(select=self.file_select, ignore=self.file_ignore, severity=self.severity) \
            if file_only else self
        found: dict[str, str] = {}
        for code, info in sorted(catalogue.items()):
            if info.severity is not Severity.ERROR:
                continue
            if not config.reports(code):
                found[code] = "ignored"
            elif config.severity_of(code, Severity.ERROR) is not Severity.ERROR:
                found[code] = "downgraded"
        return found

    def provenance(self, catalogue: dict[str, Any]) -> dict[str, Any]:
        """The effective configuration as recorded in report.json, manifest.json and the card."""
        off = self.switched_off(catalogue)
        return {
            "file": self.source_display,
            "file_sha256": self.source_sha256,
            "found": self.origin,
            "select": sorted(self.select),
            "ignore": sorted(self.ignore),
            "severity": {pattern: level.value for pattern, level in sorted(self.severity.items())},
            "from_command_line": {"select": sorted(self.cli_select), "ignore": sorted(self.cli_ignore)},
            "errors_switched_off": off,
            "errors_switched_off_by_file": self.switched_off(catalogue, file_only=True) if self.source else {},
            "safety_codes": sorted(SAFETY_CODES),
        }


def _matches(code: str, pattern: str) -> bool:
    return code == pattern or code.startswith(pattern + ".")


def _best_match(code: str, patterns: Iterable[str]) -> int:
    """Length of the longest pattern matching ``code``, -1 when none does."""
    return max((len(p) for p in patterns if _matches(code, p)), default=-1)


def _known_codes() -> set[str]:
    from vogue_pack.validate.catalogue import all_codes

    return set(all_codes())


def _check_pattern(pattern: Any, where: str, known: set[str], *, switches_off: bool = False) -> str:
    if not isinstance(pattern, str) or not pattern.strip():
        raise UsageError(f"{where}: expected a finding code or family such as 'xref' or "
                         f"'xref.unknown-item', got {pattern!r}")
    pattern = pattern.strip()
    if not any(_matches(code, pattern) for code in known):
        close = sorted(c for c in known if c.split(".")[0] == pattern.split(".")[0])[:8]
        hint = f" (codes of that family: {', '.join(close)})" if close else \
            " (run `vogue-pack checks` or see docs/findings.md for the codes)"
        raise UsageError(f"{where}: {pattern!r} is not a finding code or family{hint}")
    if switches_off and pattern in SAFETY_CODES:
        raise UsageError(f"{where}: {pattern} is a safety check and cannot be switched off or downgraded "
                         "(docs/checks.md, configuration provenance)")
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
        lists[key] = frozenset(_check_pattern(p, f"{path}: {prefix}{key}", known, switches_off=key == "ignore")
                               for p in value)
    raw_severity = section.get("severity", {})
    if not isinstance(raw_severity, dict):
        raise UsageError(f"{path}: {prefix}severity must be a table of code = \"error\" | \"warning\" | \"off\"")
    severity: dict[str, Severity] = {}
    ignore = set(lists["ignore"])
    for pattern, level in raw_severity.items():
        where = f"{path}: {prefix}severity.{pattern}"
        pattern = _check_pattern(pattern, where, known, switches_off=level != "error")
        if level == OFF:
            ignore.add(pattern)
            continue
        try:
            severity[pattern] = Severity(level)
        except ValueError:
            raise UsageError(f"{where}: severity must be \"error\", \"warning\" or \"off\", "
                             f"not {level!r}") from None
    return Config(select=lists["select"], ignore=frozenset(ignore), severity=severity, source=path,
                  source_sha256=hashlib.sha256(path.read_bytes()).hexdigest())


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
    cli_ignore = frozenset(_check_pattern(p, "--ignore", known, switches_off=True) for p in ignore)
    origin, display = _origin(raw_root, path, explicit is not None)
    return Config(
        select=cli_select or config.select,
        ignore=config.ignore | cli_ignore,
        severity=dict(config.severity),
        source=config.source,
        origin=origin,
        source_sha256=config.source_sha256,
        source_display=display,
        cli_select=cli_select,
        cli_ignore=cli_ignore,
        file_select=config.select,
        file_ignore=config.ignore,
    )


def _origin(raw_root: Path | None, path: Path | None, explicit: bool) -> tuple[str | None, str | None]:
    """Where the file was found and how to name it without host paths: relative to the raw root when it
    came with the raw tree (``vogue-pack.toml``, or ``../vogue-pack.toml`` above a data/ folder), else its
    name only."""
    if path is None:
        return None, None
    if explicit:
        return "explicit", Path(path).name
    if raw_root is not None and Path(path).resolve().parent in (Path(raw_root).resolve(),
                                                               Path(raw_root).resolve().parent) and \
            (Path(path).resolve().parent == Path(raw_root).resolve() or Path(raw_root).name == "data"):
        return "raw-tree", os.path.relpath(Path(path).resolve(), Path(raw_root).resolve()).replace(os.sep, "/")
    return "current-directory", Path(path).name


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


def describe_provenance(provenance: dict[str, Any]) -> str:
    """One line for people: which file configured the run, what it changed, which error checks are off."""
    if not provenance.get("file") and not (provenance.get("select") or provenance.get("ignore")
                                           or provenance.get("severity")):
        return "configuration: the defaults (every check, at its own severity)"
    parts = []
    if provenance.get("file"):
        parts.append(f"{provenance['file']} ({provenance.get('found')}, sha256 "
                     f"{str(provenance.get('file_sha256'))[:12]}…)")
    for key in ("select", "ignore"):
        if provenance.get(key):
            parts.append(f"{key} {', '.join(provenance[key])}")
    if provenance.get("severity"):
        parts.append("severity " + ", ".join(f"{k}={v}" for k, v in provenance["severity"].items()))
    off = provenance.get("errors_switched_off") or {}
    parts.append("checks switched off: " + (", ".join(f"{c} ({how})" for c, how in off.items()) if off
                                            else "none"))
    return "configuration: " + "; ".join(parts)
