"""What every page shares: languages, templates, security headers, request logs, health."""
