"""The vogue-pack command line: a thin client of the library (the only module that imports click).

Exit codes: 0 no error findings; 1 error findings (or a failed verify/evaluate); 2 usage or
configuration problem; 3 internal bug (traceback printed).
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

import click

from vogue_pack import __version__
from vogue_pack.errors import UsageError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="vogue-pack")
def cli() -> None:
    """Validate, package and query the VOGUE fashion-dialogue dataset.

    \b
    vogue-pack demo                       synthetic tree -> validate -> build -> query
    vogue-pack validate raw/              every problem in a raw tree
    vogue-pack build raw/ --version 1.1   reproducible Parquet + DuckDB release
    vogue-pack query release/1.1 "SELECT count(*) FROM conversations"
    """


# --- commands are added below this line (one function per command, each calls one library function) ---


def main() -> None:
    """Console-script entry point: map library errors to the exit-code contract."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except click.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_USAGE)
    except UsageError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception:  # noqa: BLE001 - the exit-3 handler: a bug in vogue-pack, not in the data
        traceback.print_exc()
        click.echo(
            "\ninternal error: this is a bug in vogue-pack, not a problem with your data. "
            "Please report it with the traceback above.",
            err=True,
        )
        sys.exit(EXIT_BUG)


def _path(p: str) -> Path:
    return Path(p)
