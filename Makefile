# The two commands of the README. Both set up everything on a fresh machine.
#   make report   the health checks: the cluster of your kubeconfig, or the bundled demo snapshot
#   make test     the project's own tests (what .ci/run runs)
# make ends with its own code 2 when a recipe fails: `make report` prints the suite's exit code
# as its last line, and pipelines call pytest directly to gate on it (README, "Exit codes").
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
ARGS ?=

.PHONY: report test lint setup

report: $(STAMP)
	@$(PY) -m vantiq_health.report $(ARGS)

test: $(STAMP) browser servers
	$(PY) -m pytest tests -n 2 $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy

setup: $(STAMP)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $@

# The HTML report is tested in a real headless browser (Japanese with fonts-noto-cjk); without root the test skips.
.PHONY: browser
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "chromium not installed: the browser test will skip"; }
	@[ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || { [ "$$(id -u)" = 0 ] && (apt-get update -qq && apt-get install -y -qq fonts-noto-cjk >/dev/null) || echo "fonts-noto-cjk not installed: the Japanese report test will skip"; }

# The probe tests start a real PostgreSQL (Debian's, any version) and InfluxDB 1.x on loopback (tests/probes/); without them they skip.
.PHONY: servers
servers:
	@ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) || echo "postgresql not installed: the PostgreSQL probe tests will skip"; }
	@command -v influxd >/dev/null || { [ "$$(id -u)" = 0 ] && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq influxdb >/dev/null) || echo "influxdb not installed: the InfluxDB probe tests will skip"; }
