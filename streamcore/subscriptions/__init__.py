"""Plans, subscriptions, payments and the one entitlement rule (SPEC §3.3)."""
