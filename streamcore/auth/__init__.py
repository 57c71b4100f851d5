"""Users, passwords, bearer tokens, login lockout, and the one permission table."""
