"""Run a command and print its wall time, the peak memory of its whole process tree, and of its largest process.

    python benchmarks/memory.py [--interval 0.5] [--log FILE] -- COMMAND [ARGS...]

Every ``--interval`` seconds the command's process and all its descendants are read from ``/proc``: the tree's
memory is the sum of their PSS (proportional set size, ``/proc/PID/smaps_rollup``: pages shared after a
``fork`` counted once), the single-process figure their largest RSS; the CPU time is the command's and its
waited-for descendants' (user + system). Linux only. The command's exit status is
returned. With ``--log``, each sample (seconds, tree PSS MB, largest RSS MB, processes) is appended to FILE.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _tree(root: int) -> list[int]:
    children, found, todo = _children(), [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def _kb(pid: int, name: str, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def sample(root: int) -> tuple[int, int, int]:
    """(tree PSS KB, largest RSS KB, processes) of ``root`` and its descendants now."""
    pids = _tree(root)
    pss = sum(_kb(pid, "smaps_rollup", "Pss") for pid in pids)
    rss = max((_kb(pid, "status", "VmRSS") for pid in pids), default=0)
    return pss, rss, len(pids)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--log", default=None)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")
    log = open(args.log, "a", encoding="utf-8") if args.log else None  # noqa: SIM115 - closed below
    start = time.monotonic()
    process = subprocess.Popen(command)
    peak_pss = peak_rss = 0
    while process.poll() is None:
        pss, rss, count = sample(process.pid)
        peak_pss, peak_rss = max(peak_pss, pss), max(peak_rss, rss)
        if log:
            log.write(f"{time.monotonic() - start:.1f}\t{pss / 1024:.0f}\t{rss / 1024:.0f}\t{count}\n")
            log.flush()
        time.sleep(args.interval)
    wall = time.monotonic() - start
    if log:
        log.close()
    used = resource.getrusage(resource.RUSAGE_CHILDREN)  # the command and the processes it waited for
    print(f"wall {wall:.1f} s; CPU {used.ru_utime + used.ru_stime:.1f} s; tree peak PSS {peak_pss / 1024:.0f} MB; "
          f"largest process peak RSS {peak_rss / 1024:.0f} MB; exit {process.returncode}", file=sys.stderr)
    return process.returncode


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
