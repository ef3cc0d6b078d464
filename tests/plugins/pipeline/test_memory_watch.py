"""PeakRss: the peak resident memory of this process and its children while a block runs."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestrl.plugins.pipeline.memory_watch import PeakRss, tree_rss_bytes

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs /proc")
MIB = 2**20
CHILD = ("import time; block = bytearray(160 * 2**20); block[::4096] = b'x' * (160 * 256);"
         " print('ready', flush=True); time.sleep(30)")


def test_the_peak_counts_a_child_process_and_memory_freed_before_the_end():
    baseline = tree_rss_bytes()
    assert baseline is not None and baseline > 0
    with PeakRss(interval=0.05) as peak:
        block = bytearray(120 * MIB)
        block[::4096] = b"x" * len(block[::4096])  # touched, so resident
        child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE)
        try:
            assert child.stdout is not None and child.stdout.readline().strip() == b"ready"
            with_child = tree_rss_bytes()
            time.sleep(0.3)
        finally:
            child.kill()
            child.wait()
            child.stdout.close()
        del block  # freed before the block ends: the peak remembers it
    assert with_child is not None and with_child >= baseline + 270 * MIB
    assert peak.bytes is not None and peak.bytes >= baseline + 270 * MIB
    assert peak.gib == pytest.approx(peak.bytes / 2**30)


def test_a_quiet_block_peaks_near_where_it_started():
    before = tree_rss_bytes()
    with PeakRss(interval=0.05) as peak:
        time.sleep(0.2)
    assert before is not None and peak.bytes is not None
    assert abs(peak.bytes - before) < 64 * MIB
