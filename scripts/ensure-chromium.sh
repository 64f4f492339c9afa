#!/usr/bin/env bash
# Makes sure Debian's chromium is at /usr/bin/chromium for the browser tests, with a
# Japanese font (without one every kana and kanji is a box, and layouts are measured wrong).
# Playwright's own browser download does not work on our machines, so we use Debian's.
set -euo pipefail
has_japanese_font() { command -v fc-list >/dev/null && [ -n "$(fc-list :lang=ja 2>/dev/null)" ]; }
if [ -x /usr/bin/chromium ] && has_japanese_font; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's chromium and a Japanese font for the browser tests..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-ipafont-gothic >/dev/null
  exit 0
fi
echo "Browser tests need Debian's chromium at /usr/bin/chromium and a Japanese font: sudo apt-get install chromium fonts-ipafont-gothic" >&2
if [ -n "${CI:-}" ]; then
  exit 1
fi
