"""The CLI's command groups, one module per domain, plus the shared state and output."""
