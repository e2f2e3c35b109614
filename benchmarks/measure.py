"""Run one command and print, as one JSON line, its wall seconds, CPU seconds and peak memory.

Usage: python benchmarks/measure.py -- COMMAND [ARGS...]

This process starts nothing but COMMAND, so its children's resource usage is exactly the command's: CPU is
user + sys of the command and of every worker process it waited for; ``rss`` is the peak resident set of
the largest single process among them (Linux reports kilobytes), in bytes.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def main() -> None:
    argv = sys.argv[1:]
    if argv and argv[0] == "--":
        argv = argv[1:]
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss * 1024,
                      "exit": done.returncode, "stderr_tail": done.stderr.decode("utf-8", "replace")[-300:]}))


if __name__ == "__main__":
    main()
