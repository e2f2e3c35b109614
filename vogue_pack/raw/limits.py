"""The default read budgets of one raw text file (imported by the command line without the reader)."""

# Memory is spent per parsed value (a Python object per JSON value or CSV cell, a few hundred bytes each
# through the typed columns and the schema checks) and per byte (a long text is held as bytes, as text, as
# cells, in the pandera frame, in the tables: about 8 copies at worst), so one raw file has two budgets: its
# size and its number of values, the latter counted before a file is parsed or while it is.
# docs/benchmarks.md ("Memory") measures them: within both, validate stays under 4x the largest raw file
# plus 300 MB. The real release's largest text file is about 100 KB and holds about 3,000 values.
MAX_TEXT_BYTES = 8 * 2**20
MAX_VALUES = 200_000
