#!/usr/bin/env bash
# Times `harden check` on the Python installation's standard library (about
# 11,600 files, 128 MB): files/s and MB/s with the default thread count and
# with one thread. A benchmark, not a test: run it on a quiet machine.
#
#   bench/check.sh [DIR]    (default: the stdlib of `python3`)
set -euo pipefail

cd "$(dirname "$0")/.."
target="${1:-$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')}"

cargo build --release --quiet -p harden
harden="${CARGO_TARGET_DIR:-target}/release/harden"

# What `harden check` walks: .py/.pyi/.rs outside hidden and skipped dirs
# (the standard library has no .gitignore).
read -r files bytes < <(python3 - "$target" <<'PY'
import os, sys
skip = {"target", ".venv", "venv", "node_modules", "__pycache__"}
files = size = 0
for root, dirs, names in os.walk(sys.argv[1]):
    dirs[:] = [d for d in dirs if d not in skip and not d.startswith(".")]
    for name in names:
        if name.endswith((".py", ".pyi", ".rs")) and not name.startswith("."):
            files += 1
            size += os.path.getsize(os.path.join(root, name))
print(files, size)
PY
)

echo "target: $target ($files files, $((bytes / 1000000)) MB)"
echo "load:   $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime) on $(nproc) cores"

run() {
    local label="$1"
    shift
    # One warm-up run fills the page cache; the best of three is reported.
    "$harden" check --isolated --exit-zero --statistics "$@" "$target" >/dev/null
    local best=""
    for _ in 1 2 3; do
        local start end elapsed
        start=$(date +%s.%N)
        "$harden" check --isolated --exit-zero --statistics "$@" "$target" >/dev/null
        end=$(date +%s.%N)
        elapsed=$(echo "$end - $start" | bc -l)
        if [[ -z "$best" ]] || (($(echo "$elapsed < $best" | bc -l))); then
            best="$elapsed"
        fi
    done
    printf '%-16s %6.2f s  %8.0f files/s  %6.1f MB/s\n' "$label" "$best" \
        "$(echo "$files / $best" | bc -l)" "$(echo "$bytes / 1000000 / $best" | bc -l)"
}

run "default threads"
run "--threads 1" --threads 1
