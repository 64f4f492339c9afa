"""Sites (履行場所 / 会場): the contract's fixed sites and the outreach venues managers add."""
