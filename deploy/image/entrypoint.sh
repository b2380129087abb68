#!/bin/sh
# The image's entrypoint: the checks, with the container's arguments passed through to pytest,
# the reports in $VANTIQ_HEALTH_REPORT_DIR (a mounted volume), and the verdict as one JSON line
# at the end of the log (`kubectl logs job/vantiq-health`). Writes nothing else but /tmp:
# no pytest cache, bytecode under $PYTHONPYCACHEPREFIX. Exits with the suite's exit code.
set -u
report_dir="${VANTIQ_HEALTH_REPORT_DIR:-/reports}"
app="${VANTIQ_HEALTH_APP:-/app}"
python="${VANTIQ_HEALTH_PYTHON:-python}"
export PYTHONPYCACHEPREFIX="${PYTHONPYCACHEPREFIX:-/tmp/pycache}"

cd "$app" || exit 4
"$python" -m pytest checks -p no:cacheprovider --report-dir "$report_dir" "$@"
code=$?
"$python" -m vantiq_health.verdict "$report_dir/results.json" "$code"
exit "$code"
