#!/usr/bin/env bash
# Makes sure PDF exports can be made: WeasyPrint needs Pango, and a Japanese font so the
# PDF embeds real glyphs (without one every kana and kanji is a box). Installs Debian's
# packages when it can; otherwise says what is missing (the app still starts, and says so).
set -euo pipefail
has_pango() { ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0'; }
has_japanese_font() { command -v fc-list >/dev/null && [ -n "$(fc-list :lang=ja 2>/dev/null)" ]; }
if has_pango && has_japanese_font; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing Pango and a Japanese font for PDF exports..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    libpango-1.0-0 libpangoft2-1.0-0 fontconfig fonts-ipafont-gothic >/dev/null
  exit 0
fi
echo "PDF exports need Pango and a Japanese font: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-ipafont-gothic" >&2
if [ -n "${CI:-}" ]; then
  exit 1
fi
