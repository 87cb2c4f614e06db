"""`mtls-doctor fix NAME`: the fixes that AWS API calls can carry out, as plans (data), a dry run
by default, and with `--apply` and the user's consent: carried out, journalled, proved by a
re-check, and rolled back on failure.

- `plan`: the plan's data (calls with their exact parameters, bundle diff, pre-flight, rollback)
- `bundle`: the corrected truststore and its diff
- `preflight`: the lint of a new bundle and the verdicts of known clients
- `build`: the plans a domain's diagnosis calls for
- `execute`: carrying a plan out, pacing, polling, rollback
- `journal`: every applied call, one JSON line each, under the user's state directory
- `view`: the plan as sections of the report view
"""
