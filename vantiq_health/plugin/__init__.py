"""The pytest plugin of vantiq-health, one module per job.

Installed as a `pytest11` entry point so that its options are known before
pytest parses the command line. It only acts on runs that collect the
checks (`checks/`); the project's own tests load it and stay untouched.

- `api`: what check modules import (`check`, `expect`)
- `setup`: options, run set-up, namespace parametrization, the header
- `outcomes`: findings to pytest outcomes, report properties
- `results`: results.json, --save-snapshot
- `summary`: the one-screen summary at the end of a run, findings as data on the reports
- `html`: the pytest-html hooks
"""

from vantiq_health.plugin.api import check, expect, get_run

pytest_plugins = [
    "vantiq_health.plugin.setup",
    "vantiq_health.plugin.outcomes",
    "vantiq_health.plugin.summary",  # before html, which imports it (else: assertion-rewrite warning)
    "vantiq_health.plugin.html",
]

__all__ = ["check", "expect", "get_run"]
