"""Incidents (トラブル・事故・苦情): reports, follow-up and recurrence prevention."""
