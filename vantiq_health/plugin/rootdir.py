"""The rootdir and ini file pytest would have chosen had it known the suite's options.

pytest picks the rootdir and ini file before any plugin loads, taking every
argument that names an existing path for a test path -- option values
included. `pytest --snapshot /tmp/snap` in the project folder thus roots the
run at /tmp, without the project's ini file, its `testpaths` or `addopts`,
and collects the current folder: the project's own tests. Once the plugins
are loaded the options are known, so the real positional arguments are too;
this module derives the set-up again from them, before any conftest loads.

PYTEST_DONT_REWRITE: plugin modules import each other before pytest registers them.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from _pytest.config.findpaths import determine_setup

PROJECT_KEY = "vantiq_health_checks"  # the ini key that declares a vantiq-health project


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, args: list[str]) -> None:
    config = early_config
    known = config.known_args_namespace
    if known.inifilename:
        return  # the operator chose it
    # with --rootdir, pytest still looks for the ini file from the arguments, option values included
    rootpath, inipath, inicfg, ignored = determine_setup(
        inifile=None,
        override_ini=known.override_ini,
        args=known.file_or_dir,
        rootdir_cmd_arg=known.rootdir or None,
        invocation_dir=config.invocation_params.dir,
    )
    if (rootpath, inipath) == (config.rootpath, config.inipath) or PROJECT_KEY not in inicfg:
        return  # nothing changes, or not a vantiq-health project: not ours to correct
    _adopt(config, args, rootpath, inipath, inicfg, ignored)


def _adopt(
    config: pytest.Config, args: list[str], rootpath: Any, inipath: Any, inicfg: Any, ignored: Any
) -> None:
    """Install the derived set-up as pytest's own parse() would have, addopts included."""
    config._rootpath = rootpath
    config._inipath = inipath
    config._inicfg = inicfg
    config._ignored_config_files = ignored
    config._inicache.clear()
    config._parser.extra_info["rootdir"] = str(rootpath)
    config._parser.extra_info["inifile"] = str(inipath)
    addopts = list(config.getini("addopts"))
    args[:] = addopts + args
    pm = config.pluginmanager
    pm.consider_preparse(addopts, exclude_only=False)
    # `-p no:NAME` in addopts comes after the entry points loaded: set_blocked unregistered them,
    # and the header's "plugins:" line must not list them either.
    pm._plugin_distinfo[:] = [(p, d) for p, d in pm._plugin_distinfo if pm.is_registered(p)]
    config.known_args_namespace = known = config._parser.parse_known_args(
        args, namespace=copy.copy(config.option)
    )
    if known.confcutdir is None:
        known.confcutdir = str(inipath.parent if inipath else rootpath)
