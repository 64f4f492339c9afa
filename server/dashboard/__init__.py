"""The managers' dashboard: today's counts per site and the problems still open."""
