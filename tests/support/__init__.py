"""Test-only helpers shared by the unit, integration and browser suites."""
