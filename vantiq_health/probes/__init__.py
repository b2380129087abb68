"""Live probes: one driver per service kind, one result record per probe, and how targets are reached.

Every probe only reads (`SELECT 1`, `pg_stat_activity`, `SHOW`; MongoDB `ping` and
`replSetGetStatus`; a Keycloak token and `GET` of a realm), is bounded by
`--probe-timeout`, and records the step it reached, never a credential.
"""
