"""Benchmarks: speed goals measured against the real server, never inside timed tests.

``python -m bench`` (or ``make bench``) runs them on SQLite and PostgreSQL, writes
``bench/results/latest.json`` and appends a section to ``docs/performance.md``.
"""
