"""Tool-call parsing of hostile completions: milliseconds per 1 MB text, and scaling.

Parses 1 MB completions built to make a scanner slow (half a million tiny JSON values, with and
without one real call at the end, short lists, an unclosed string, garbage of brackets) and
prints milliseconds per text (CPU time, best of ``--repeats``), the ratio to the 50 ms target,
the ratio to a baseline measured in the same run (1 MB of plain prose, which holds no bracket at
all), and the ratio of the 2 MB time to the 1 MB time (2 means linear).

    python benchmarks/parser_hostile.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import time

from orchestrl.plugins.parsing.tool_calls import parse_text

TARGET_MS = 50.0
MB = 1_000_000
CALL = '{"name": "Search_Hotels", "arguments": {"dest_id": "-2092174"}}'

HOSTILE = {
    "braces": "{}",
    "braces_then_call": "{}",
    "short_lists": "[1] ",
    "objects": '{"a": 1} ',
    "garbage": '{<tool_call>["name": }',
}


def text_of(name: str, size: int) -> str:
    """The hostile text ``name`` of about ``size`` characters."""
    unit = HOSTILE[name]
    text = (unit * (size // len(unit) + 1))[:size]
    return text + CALL if name == "braces_then_call" else text


def cpu_ms(text: str, repeats: int) -> float:
    """Best CPU milliseconds of parsing ``text``."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        parse_text(text)
        best = min(best, time.process_time() - start)
    return best * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    baseline = cpu_ms(("the hotel is near the station " * (MB // 30 + 1))[:MB], args.repeats)
    print(f"baseline (1 MB of prose): {baseline:.2f} ms")
    print(f"{'text':<18} {'ms/1MB':>8} {'vs target':>10} {'vs prose':>9} {'2MB/1MB':>8}")
    for name in HOSTILE:
        one = cpu_ms(text_of(name, MB), args.repeats)
        two = cpu_ms(text_of(name, 2 * MB), args.repeats)
        print(f"{name:<18} {one:>8.2f} {one / TARGET_MS:>10.2f} {one / max(baseline, 1e-6):>9.1f} "
              f"{two / max(one, 1e-6):>8.2f}")


if __name__ == "__main__":
    main()
