#!/usr/bin/env bash
# Install the Debian packages Octavo needs, only those that are missing.
# Run as root on a fresh Debian (bookworm or later). Idempotent and quiet when all is there.
set -euo pipefail

need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
want_pkg() { have_pkg "$1" || need+=("$1"); }
want_cmd() { command -v "$1" >/dev/null 2>&1 || need+=("$2"); }

# WeasyPrint: Pango and HarfBuzz's subsetter (without it font subsetting is slow and noisy).
want_pkg libpango-1.0-0
want_pkg libpangoft2-1.0-0
want_pkg libharfbuzz-subset0
# The body font (covers Azerbaijani Ə ə Ğ ğ Ş ş İ ı) and a fallback serif.
want_pkg fonts-sil-charis
# Noto Serif (Greek, as "Octavo Greek"), Noto Naskh Arabic, Noto Serif Hebrew and
# Devanagari, Noto Sans Math and Symbols: one font per script (styles/scripts.css).
want_pkg fonts-noto-core
# DejaVu Sans: the broad catch-all at the end of the stack (styles/scripts.css).
# Code: DejaVu Sans Mono (Latin, Greek, Cyrillic, ↪; four styles) and Noto Sans Mono
# for the Cyrillic letters DejaVu lacks (styles/base.css names both; fonts.py allows them).
want_pkg fonts-dejavu-core
want_pkg fonts-noto-mono
# Colour emoji: Pango finds the font by itself (it is never named in the CSS).
want_pkg fonts-noto-color-emoji
# Chinese, Japanese and Korean (Noto Serif CJK): 89 MiB, but without it CJK prints as boxes.
want_pkg fonts-noto-cjk
# Symbola: symbols and emoji no Noto font has, in one monochrome face.
want_pkg fonts-symbola
# Rasterising pages (proof sheet, tests) and reading PDF text.
want_cmd pdftoppm poppler-utils
# The CMYK output intent of the print PDF (PDF/X-4): ghostscript's default_cmyk.icc.
want_pkg libgs-common
# epubcheck runs on Java; DAISY Ace runs on Node.js with Debian's Chromium.
want_cmd java default-jre-headless
want_cmd node nodejs
want_cmd npm npm
want_cmd chromium chromium
# PyICU (the index sorted by the book's language) compiles against ICU: headers, pkg-config
# and a C++ compiler.
want_pkg libicu-dev
want_cmd pkg-config pkg-config
want_cmd g++ g++
# A virtual environment for the project.
python3 -c "import ensurepip, venv" >/dev/null 2>&1 || need+=(python3-venv)
command -v python3 >/dev/null 2>&1 || need+=(python3 python3-venv)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "octavo: missing system packages: ${need[*]}" >&2
  echo "octavo: run as root, or: sudo apt-get install ${need[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fc-cache -f >/dev/null 2>&1 || true
