"""The embedded server's handle list forgets processes that exited without releasing their handle."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from almanac.demo.embedded import forget_dead_handles


def test_a_killed_process_no_longer_keeps_the_server_running(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # reaped: its pid now names no process
    handles = tmp_path / ".handle_pids.json"
    handles.write_text(json.dumps([gone.pid, os.getpid()]))

    assert forget_dead_handles(handles) == [gone.pid]
    assert json.loads(handles.read_text()) == [os.getpid()]
    assert forget_dead_handles(handles) == []  # nothing left to forget; the live process stays


def test_no_handle_file_yet(tmp_path):
    assert forget_dead_handles(tmp_path / ".handle_pids.json") == []
