"""Work sessions (出張申請会・窓口開設): a site open for a time window, and who staffs it."""
