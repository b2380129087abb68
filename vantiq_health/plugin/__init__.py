"""The pytest plugin of vantiq-health, one module per job.

Installed as a `pytest11` entry point so that its options are known before
pytest parses the command line. It only acts on runs that collect the
checks of a project that declares them (ini key `vantiq_health_checks`);
the project's own tests and unrelated projects load it and stay untouched.

- `scrub`: report texts and log records scrubbed of secret values; raised checks as one clean line
- `api`: what check modules import (`check`, `expect`)
- `rootdir`: the rootdir and ini file as if pytest had known the options
- `setup`: options, run set-up, the header
- `scope`: each check over the namespaces of its catalog scope, skipped when its needs are unmet
- `selection`: --check/--skip-check, check ids as keywords, planned checks
- `exitcodes`: the exit code table of the README
- `outcomes`: findings to pytest outcomes, report properties
- `results`: results.json, --save-snapshot
- `summary`: the one-screen summary at the end of a run, findings as data on the reports
- `html`: the pytest-html hooks
- `probes`: options of the live probes (--endpoint, --no-live, --probe-timeout)
- `baseline`: --baseline, waivers, --report-dir: which findings gate a pipeline

PYTEST_DONT_REWRITE: plugin modules import each other before pytest registers them.
"""

from vantiq_health.plugin.api import cannot_check, check, expect, get_run

pytest_plugins = [
    "vantiq_health.plugin.scrub",  # first: the last line before any reporter sees a report
    "vantiq_health.plugin.rootdir",
    "vantiq_health.plugin.setup",
    "vantiq_health.plugin.scope",
    "vantiq_health.plugin.selection",
    "vantiq_health.plugin.exitcodes",
    "vantiq_health.plugin.outcomes",
    "vantiq_health.plugin.summary",  # before html, which imports it (else: assertion-rewrite warning)
    "vantiq_health.plugin.html",
    "vantiq_health.plugin.probes",
    "vantiq_health.plugin.baseline",  # last: its report wrapper sees every finding property
]

__all__ = ["cannot_check", "check", "expect", "get_run"]
