"""Nightly reconciliation (夜間照合): what each device says it made against what arrived."""
