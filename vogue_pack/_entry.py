"""The console script: the top-level help without importing click or the library, every other command via cli.

Importing click and the command line costs about 100 ms, so ``vogue-pack --help``, ``vogue-pack -h`` and a bare
``vogue-pack`` (which click answers with the help on stderr and exit code 2) print a page click rendered ahead
of time: vogue_pack/_help_pages.py holds one page per distinct layout, written by scripts/render_help.py, and
tests/test_fast_help.py compares it, byte for byte and for every terminal width, with what click prints. The
page is chosen as click chooses its width (the COLUMNS variable, else the terminal of stdout, else 80 columns,
then clamped by the command line's max_content_width).

Whenever click could print something else the command line goes to click: any other arguments, a program name
other than ``vogue-pack`` (a renamed script, ``python -m``), a shell-completion request, Windows (its console
streams and argument globbing), no stream to write to, or a page that is not plain ASCII (stream encodings).
The pages hold no colour codes (the test checks), so NO_COLOR and terminals do not change them.

This module imports nothing beyond os and sys (loaded by every interpreter) and the generated pages; nor does
the package's ``__init__`` (tests/test_imports.py checks both in a fresh process).
"""

import os
import sys

PROG = "vogue-pack"
COMPLETE_VAR = "_VOGUE_PACK_COMPLETE"  # click's shell-completion switch for PROG (click.core, main)
HELP_ARGS = (["--help"], ["-h"])  # the command line's help_option_names
EXIT_OK, EXIT_USAGE, EXIT_BROKEN_PIPE = 0, 2, 1  # bare: click's NoArgsIsHelpError; a closed pipe: click's 1


def main() -> None:
    """Console-script entry point (``[project.scripts]``): the fast help, or vogue_pack.cli.main."""
    _print_help_and_exit(sys.argv[1:])
    from vogue_pack.cli import main as cli_main

    cli_main()


def _print_help_and_exit(args: list[str]) -> None:
    """Print the stored top-level help and exit when it is certainly what click prints; else return."""
    if args in HELP_ARGS:
        stream, code = sys.stdout, EXIT_OK
    elif not args:
        stream, code = sys.stderr, EXIT_USAGE
    else:
        return
    if os.name != "posix" or stream is None or os.environ.get(COMPLETE_VAR) or program_name() != PROG:
        return
    page = help_page()
    if page is None:
        return
    try:
        stream.write(page + "\n")
        stream.flush()
    except BrokenPipeError:
        # the reader went away (`vogue-pack --help | head -1`): exit as click does, with no traceback and no
        # "Exception ignored" when the interpreter flushes the stream again at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
        sys.exit(EXIT_BROKEN_PIPE)
    except OSError as exc:
        if stream is not sys.stdout:  # as through click: the error escapes, its traceback lost on that stream
            raise
        if sys.stderr is not None:  # as vogue_pack.cli.main reports it (`vogue-pack --help > /dev/full`)
            sys.stderr.write(f"error: {exc.strerror or str(exc) or type(exc).__name__}\n")
            sys.stderr.flush()
        sys.exit(EXIT_USAGE)
    sys.exit(code)


def help_page() -> str | None:
    """The top-level help click would render now, without its final newline; None for a non-ASCII page."""
    from vogue_pack import _help_pages

    # click.formatting.HelpFormatter: max(min(terminal columns, max_width) - 2, 50)
    width = max(min(terminal_columns(), _help_pages.MAX_CONTENT_WIDTH) - 2, _help_pages.MIN_WIDTH)
    lines = _help_pages.PAGES[_help_pages.PAGE_OF_WIDTH[width - _help_pages.MIN_WIDTH]]
    page = "\n".join([_help_pages.LINES[int(number)] for number in lines.split()])
    return page if page.isascii() else None


def program_name() -> str | None:
    """The name click shows in "Usage:" (click.utils._detect_program_name); None when run as ``python -m``."""
    if not sys.argv or getattr(sys.modules.get("__main__"), "__package__", None) not in (None, ""):
        return None
    return os.path.basename(sys.argv[0])


def terminal_columns() -> int:
    """``shutil.get_terminal_size().columns`` (what click reads) without importing shutil (5 ms)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        size = os.get_terminal_size(sys.__stdout__.fileno())  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):  # no stdout, closed, detached, or not a terminal
        return 80
    return size.columns or 80
