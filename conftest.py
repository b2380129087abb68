# pytester drives the suite in the project's own tests (tests/); it is inert in a check run.
pytest_plugins = ["fixtures.cluster", "fixtures.probes", "pytester"]
