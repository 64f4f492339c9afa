"""Work sessions (業務): a counter or venue open for a time window, and who staffs it."""
