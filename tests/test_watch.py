"""`watch` as a person sees it: a real pseudo-terminal of 80×24, its screen read back, then `q`."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyte
import pytest
from conftest import python_cli, run

from ai_budget.claude import usage_history


def _own_terminal() -> None:
    """In the child: the pty becomes its terminal, and Ctrl-C its SIGINT again (whoever runs this
    suite may have left SIGINT ignored or blocked, and a child inherits both)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def drive(
    args: list[str], keys: bytes, after: float, rows: int = 24, cols: int = 80
) -> tuple[int | None, pyte.Screen, bytes]:
    """Run the CLI on a pty (80×24 unless told), type `keys` after `after` seconds; the exit code and
    the screen."""
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    env = dict(os.environ, COLUMNS=str(cols), LINES=str(rows), TERM="xterm-256color")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ai_budget", *args],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=env,
        start_new_session=True,  # its own session, the pty its terminal: Ctrl-C is its SIGINT
        preexec_fn=_own_terminal,
    )
    os.close(secondary)
    screen = pyte.Screen(cols, rows)
    stream = pyte.ByteStream(screen)
    raw, sent, start = b"", False, time.monotonic()
    while time.monotonic() - start < 30:
        if not sent and time.monotonic() - start >= after:
            os.write(primary, keys)
            sent = True
        ready, _, _ = select.select([primary], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(primary, 65536)
            except OSError:
                break
            if not chunk:
                break
            raw += chunk
            if b"\x1b[?1049l" not in raw:  # the alternate screen's last frame is what a person saw
                stream.feed(chunk)
        elif proc.poll() is not None:
            break
    try:  # the terminal closes a moment before the process is gone
        code = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait(timeout=10)
    os.close(primary)
    return code, screen, raw


def test_watch_shows_the_windows_and_a_chart_then_q_leaves_cleanly(journal: Path, claude_dir: Path) -> None:
    now = datetime.now(timezone.utc)
    resets = now + timedelta(hours=3)
    for i in range(6):  # 40 % half an hour ago, 2 % more every 5 minutes: 24 %/h, 52 % now
        at = now - timedelta(minutes=30 - 5 * i)
        usage_history.record([("five_hour", 40.0 + 2 * i, resets), ("seven_day", 20.0, resets)], "api", at)
    payload = {
        "rate_limits": {
            "five_hour": {"used_percentage": 52.0, "resets_at": int(resets.timestamp())},
            "seven_day": {
                "used_percentage": 20.0,
                "resets_at": int((resets + timedelta(days=2)).timestamp()),
            },
        }
    }
    run("statusline", input=json.dumps(payload))
    code, screen, raw = drive(["watch", "--interval", "1"], b"q", after=2.5)
    text = "\n".join(screen.display)
    assert code == 0, raw.decode(errors="replace")
    assert "ai-budget watch · YELLOW · " in text
    assert "severity YELLOW (5-hour window at 52 %)" in text
    assert "5-hour" in text and "52.0%" in text and "weekly" in text
    # The panel wraps long lines: read its inside as one text.
    inside = " ".join(" ".join(line.strip().strip("│").split()) for line in screen.display)
    assert "24.0 %/h lately: at this pace it runs out at" in inside
    assert "5-hour window, last 5 h" in text
    assert any(block in text for block in "▄▅")  # the chart's recent readings (40-52 %)
    assert all(len(line.rstrip()) <= 80 for line in screen.display)
    assert raw.rstrip().endswith(b"\x1b[?1049l") or b"\x1b[?1049l" in raw  # the terminal is given back


def test_watch_leaves_on_ctrl_c_too(journal: Path, claude_dir: Path) -> None:
    code, _, raw = drive(["watch", "--interval", "1"], b"\x03", after=2.0)
    assert code == 0, raw.decode(errors="replace")
    assert b"Traceback" not in raw
    assert b"\x1b[?1049l" in raw


def test_watch_without_a_terminal_points_at_status(journal: Path) -> None:
    done = python_cli("watch", input="")
    assert done.returncode == 1
    assert (
        done.stderr
        == "Error: watch needs a terminal: in a script use `ai-budget status` (or `status --json`)\n"
    )


def test_watch_shows_the_credits_and_their_alerts(journal: Path, claude_dir: Path, tmp_path: Path) -> None:
    log = tmp_path / "alerts.log"
    path = journal / "budget.json"
    data = json.loads(path.read_text())
    code = f"import sys; open({str(log)!r}, 'a').write(sys.stdin.read() + '\\n')"
    data.setdefault("settings", {})["alert_command"] = [sys.executable, "-c", code]
    path.write_text(json.dumps(data))
    assert run("credits", "set", "3", "--total", "25").exit_code == 0  # no transcripts: nothing spent
    exit_code, screen, raw = drive(["watch", "--interval", "1"], b"q", after=3.5)
    assert exit_code == 0, raw.decode(errors="replace")
    inside = " ".join(" ".join(line.strip().strip("│").split()) for line in screen.display)
    assert "Credits: about $3.00 left, $0.00/day (7-day average), no spend in 7 days" in inside
    assert "CRITICAL: about $3.00 left (under $5.00)" in inside
    # Redrawn each second, announced once: the crossing, not the frame, runs the command.
    assert [json.loads(line)["level"] for line in log.read_text().splitlines()] == ["CRITICAL"]


def _readings(now: datetime) -> None:
    """40 % three hours ago rising to 90 % now, a reading every 10 minutes, and the feed at 90 %."""
    resets = now + timedelta(hours=1)
    for i in range(19):
        at = now - timedelta(minutes=180 - 10 * i)
        usage_history.record([("five_hour", 40.0 + 50.0 * i / 18, resets)], "api", at)
    payload = {
        "rate_limits": {
            "five_hour": {"used_percentage": 90.0, "resets_at": int(resets.timestamp())},
            "seven_day": {
                "used_percentage": 35.0,
                "resets_at": int((resets + timedelta(days=2)).timestamp()),
            },
        }
    }
    run("statusline", input=json.dumps(payload))


@pytest.mark.parametrize(("cols", "rows"), [(50, 30), (120, 30)])
def test_watch_fits_the_terminal_and_its_chart_has_a_scale_and_a_time_axis(
    journal: Path, claude_dir: Path, cols: int, rows: int
) -> None:
    now = datetime.now(timezone.utc)
    _readings(now)
    code, screen, raw = drive(["watch", "--interval", "1"], b"q", after=2.5, rows=rows, cols=cols)
    assert code == 0, raw.decode(errors="replace")
    lines = [line.rstrip() for line in screen.display]
    assert "severity RED (5-hour window at 90 %)" in " ".join(lines)
    # The panel is the terminal's width: its corners at the first and the last column.
    assert lines[0].startswith("╭") and len(lines[0]) == cols and lines[0].endswith("╮")
    scale = [line for line in lines if "%┤" in line or "%└" in line]
    assert [line.strip("│ ").split("%")[0].strip() for line in scale] == ["100", "80", "60", "40", "20", "0"]
    # Each chart row is one line inside the panel (no wrapping), ending at the panel's right border.
    assert all(line.endswith("│") and len(line) == cols for line in scale)
    axis = lines[lines.index(scale[-1]) + 1]
    hour = (now - timedelta(hours=2)).astimezone().replace(minute=0)
    assert f"{hour:%H}:00" in axis
    if cols >= 100:
        assert "now" in axis
    # The readings fill the chart: 90 % now reaches the top row's band (80-100 %).
    assert "█" in scale[1]


@pytest.mark.parametrize("minute", [0, 1, 2, 5, 9, 30, 59])
def test_the_time_axis_says_now_at_every_minute_of_the_hour(minute: int) -> None:
    """In the first minutes after an hour its label would sit at the right end: `now` keeps its place."""
    from ai_budget.cli.views.watch import chart

    now = datetime(2026, 12, 7, 17, minute, 30, tzinfo=timezone.utc)
    axis = chart([], now, 100)[-1]
    assert axis.rstrip().endswith("now")
    assert axis.count(":00") >= 3  # the hours' labels are still there
