"""The pytest plugin of vantiq-health, one module per job.

Installed as a `pytest11` entry point so that its options are known before
pytest parses the command line. It only acts on runs that collect the
checks (`checks/`); the project's own tests load it and stay untouched.

- `scrub`: report texts and log records scrubbed of secret values; raised checks as one clean line
- `api`: what check modules import (`check`, `expect`)
- `setup`: options, run set-up, the header
- `scope`: each check over the namespaces of its catalog scope, skipped when its needs are unmet
- `outcomes`: findings to pytest outcomes, report properties
- `results`: results.json, the terminal summary, --save-snapshot
- `html`: the pytest-html hooks
"""

from vantiq_health.plugin.api import check, expect, get_run

pytest_plugins = [
    "vantiq_health.plugin.scrub",  # first: the last line before any reporter sees a report
    "vantiq_health.plugin.setup",
    "vantiq_health.plugin.scope",
    "vantiq_health.plugin.outcomes",
    "vantiq_health.plugin.html",
]

__all__ = ["check", "expect", "get_run"]
