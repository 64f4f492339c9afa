"""The daily journal (業務日誌): per site and day, compiled from what was recorded."""
