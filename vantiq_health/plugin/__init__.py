"""The pytest plugin of vantiq-health, one module per job.

Installed as a `pytest11` entry point so that its options are known before
pytest parses the command line. It only acts on runs that collect the
checks (`checks/`); the project's own tests load it and stay untouched.

- `api`: what check modules import (`check`, `expect`)
- `setup`: options, run set-up, namespace parametrization, the header
- `outcomes`: findings to pytest outcomes, report properties
- `results`: results.json, the terminal summary, --save-snapshot
- `html`: the pytest-html hooks
- `probes`: options of the live probes (--endpoint, --no-live, --probe-timeout)
"""

from vantiq_health.plugin.api import check, expect, get_run

pytest_plugins = [
    "vantiq_health.plugin.setup",
    "vantiq_health.plugin.outcomes",
    "vantiq_health.plugin.html",
    "vantiq_health.plugin.probes",
]

__all__ = ["check", "expect", "get_run"]
