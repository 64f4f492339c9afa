"""Small rules shared by every domain (no framework imports: services call them)."""
