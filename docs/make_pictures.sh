#!/usr/bin/env bash
# The README's pictures, made from the demo data with the commands the README shows:
#   docs/images/brief.png   `ai-budget check` in a terminal (tmux), after `ai-budget demo`
#   docs/images/report.png  the page `ai-budget report --html` writes from the same journal
#
# Needs ai-budget on PATH (an activated virtualenv with `pip install -e .`), tmux, and Chromium
# (Debian: apt-get install chromium; or set CHROMIUM=/path/to/chrome). Run from anywhere:
#   docs/make_pictures.sh
# Nothing is sent anywhere: the demo's sample login is fake and every endpoint points at a closed port.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="$repo/docs/images"
chromium="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome)}"
python="$(dirname "$(command -v ai-budget)")/python"
work="$(mktemp -d)"
socket="ai-budget-pictures-$$"
cleanup() {
    tmux -L "$socket" kill-server 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$out"

# 1. The demo's journal, kept: `ai-budget demo --keep` prints where.
TMPDIR="$work" ai-budget demo --keep >"$work/demo.txt"
demo_home="$(sed -n 's/^Kept the demo HOME at //p' "$work/demo.txt")"
cat >"$work/env.sh" <<EOF
export HOME='$demo_home' AI_BUDGET_HOME='$demo_home/.ai-budget' CLAUDE_CONFIG_DIR='$demo_home/.claude'
export AI_BUDGET_CACHE_DIR='$demo_home/.cache/ai-budget' XDG_CONFIG_HOME='$demo_home/.config'
export XDG_STATE_HOME='$demo_home/.local/state' GIT_CONFIG_GLOBAL='$demo_home/.gitconfig'
export AI_BUDGET_ANTHROPIC_URL=http://127.0.0.1:9 TERM=xterm-256color PATH='$PATH'
cd "\$HOME"
EOF

# 2. The brief, in a terminal wide enough for its longest line.
columns=126 rows=30
tmux -L "$socket" -f /dev/null new-session -d -x "$columns" -y "$rows" \
    "bash --noprofile --norc -c '. $work/env.sh; ai-budget check --from-file ~/usage/session-end.json; sleep 600'"
for _ in $(seq 50); do
    tmux -L "$socket" capture-pane -p -t 0 | grep -q '^Warnings\|Model for normal work' && break
    sleep 0.2
done
sleep 0.5
tmux -L "$socket" capture-pane -e -p -t 0 >"$work/brief.ansi"

# 3. The report page from the same journal: the sample transcripts start in July 2026.
bash --noprofile --norc -c ". $work/env.sh; ai-budget report --since 2026-07-01 --by month --html '$work/report.html'" >/dev/null

# 4. Pages for Chromium: the terminal text as rich draws a terminal window (SVG), and the report
#    with a line that records its height, so each screenshot is exactly as tall as its page.
"$python" - "$work" "$columns" <<'PY'
import re, sys
from pathlib import Path
from rich.console import Console
from rich.text import Text

work, columns = Path(sys.argv[1]), int(sys.argv[2])
lines = (work / "brief.ansi").read_text().rstrip("\n").splitlines()
while lines and not lines[-1].strip():
    lines.pop()
console = Console(record=True, width=columns, force_terminal=True, color_system="truecolor", file=open("/dev/null", "w"))
console.print(Text.from_ansi("\n".join(lines)), soft_wrap=True)
svg = console.export_svg(title="ai-budget check")
# rich names a web font: use the machine's monospace font instead, so nothing is fetched.
svg = re.sub(r"@font-face \{.*?\}", "", svg, flags=re.S).replace("Fira Code", "DejaVu Sans Mono")
width, height = (float(v) for v in re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg).groups())
scale = 0.66
(work / "brief.html").write_text(
    f'<html><body style="margin:0;background:#fff"><div style="zoom:{scale}">{svg}</div></body></html>'
)
(work / "brief.size").write_text(f"{int(width * scale) + 1},{int(height * scale) + 1}")
report = (work / "report.html").read_text()
probe = "<script>document.body.setAttribute('data-height', document.documentElement.scrollHeight)</script>"
(work / "report-probe.html").write_text(report.replace("</body>", probe + "</body>"))
PY

shoot() {  # shoot PAGE WIDTH,HEIGHT PNG
    "$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
        --user-data-dir="$work/chromium" --force-device-scale-factor=1 \
        --window-size="$2" --screenshot="$3" "file://$1" >/dev/null 2>&1
}
shoot "$work/brief.html" "$(cat "$work/brief.size")" "$out/brief.png"
report_width=960
"$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$work/chromium" \
    --window-size="$report_width,800" --dump-dom "file://$work/report-probe.html" 2>/dev/null \
    | sed -n 's/.*data-height="\([0-9]*\)".*/\1/p' >"$work/report.height"
shoot "$work/report.html" "$report_width,$(cat "$work/report.height")" "$out/report.png"

ls -l "$out"/brief.png "$out"/report.png
