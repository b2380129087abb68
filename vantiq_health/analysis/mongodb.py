"""MG: MongoDB backups run on schedule and can be restored.

Backups are the `mongobackup` CronJob (「mongodb backup jobの削除のタイミング」); the
restore path of 「Vantiq MongoDB の回復をしたい」 creates Jobs from the `mongorestore`
and `userdbrestore` CronJobs, so those must exist (suspended, as deployed).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from croniter import croniter

from vantiq_health.analysis.k8s import Obj, ago, name, parse_time
from vantiq_health.findings import Finding, finding
from vantiq_health.i18n import msg
from vantiq_health.probes.credentials import EnvValue
from vantiq_health.probes.result import ProbeResult
from vantiq_health.view.base import Unavailable

AZURE_EXPORTS = ("AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_KEY")
_EXPORT = re.compile(r"^\s*export\s+([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
SLACK = 1.1  # a run may start late and take a while: period × 1.1 (@daily -> 26.4 h)


def exported_names(text: str) -> dict[str, bool]:
    """The variables a credentials file exports, each with whether it has a value; never the values."""
    found: dict[str, bool] = {}
    for line in text.splitlines():
        match = _EXPORT.match(line)
        if match:
            found[match.group(1)] = bool(match.group(2).strip().strip("\"'"))
    return found


def schedule_period(schedule: str, now: datetime) -> timedelta | None:
    """The longest gap between two runs of a cron schedule (None: not a schedule croniter reads)."""
    text = schedule.removeprefix("CRON_TZ=UTC ").removeprefix("TZ=UTC ").strip()
    if not croniter.is_valid(text):
        return None
    it = croniter(text, now.replace(tzinfo=None))
    fires = [it.get_next(datetime) for _ in range(60)]
    return max(b - a for a, b in itertools.pairwise(fires))


def owned_jobs(jobs: list[Obj], cronjob: str) -> list[Obj]:
    def owned(job: Obj) -> bool:
        refs = (job.get("metadata") or {}).get("ownerReferences") or []
        if refs:
            return any(r.get("kind") == "CronJob" and r.get("name") == cronjob for r in refs)
        return re.fullmatch(rf"{re.escape(cronjob)}-\d+", name(job)) is not None

    return [j for j in jobs if owned(j)]


def _condition(job: Obj, kind: str) -> bool:
    return any(
        c.get("type") == kind and c.get("status") == "True"
        for c in (job.get("status") or {}).get("conditions") or []
    )


def _finished(job: Obj) -> datetime | None:
    status = job.get("status") or {}
    return parse_time(status.get("completionTime")) or parse_time(status.get("startTime"))


@dataclass(frozen=True)
class BackupFacts:
    """What MG003 reads about backups in one namespace."""

    cronjob: Obj | None
    jobs: list[Obj] | None  # None: the Jobs could not be read
    secret_present: bool
    exports: dict[str, bool] | None  # names the credentials file exports ({}: no such key); None: not read
    provider: str | None


def backup_provider(cronjob: Obj | None, exports: dict[str, bool] | None) -> str | None:
    """azure, another provider named in the CronJob, or None when nothing says."""
    spec = ((cronjob or {}).get("spec") or {}).get("jobTemplate", {}).get("spec", {}).get("template", {})
    for c in (spec.get("spec") or {}).get("containers") or []:
        for env in c.get("env") or []:
            if "PROVIDER" in env.get("name", "").upper() and env.get("value"):
                return str(env["value"]).lower()
        if any("azure" in str(arg).lower() for arg in (c.get("args") or []) + (c.get("command") or [])):
            return "azure"
    if exports and any(n.startswith("AZURE_") for n in exports):
        return "azure"
    return None


def backup_findings(
    facts: BackupFacts, now: datetime, namespace: str, secret_name: str
) -> tuple[list[Finding], list[str]]:
    cj = facts.cronjob
    if cj is None:
        if facts.secret_present:
            return [
                finding(
                    "MG003",
                    msg("MG003.no_cronjob", secret=secret_name),
                    fix=[msg("MG003.enable_fix")],
                )
            ], []
        return [], [msg("MG003.not_enabled")]
    found, notes = _schedule_findings(cj, facts.jobs, now, namespace), _history_facts(cj)
    if facts.provider == "azure" and (facts.exports is not None or not facts.secret_present):
        found += _azure_findings(facts.exports, secret_name, namespace)
    return found, notes


def _history_facts(cj: Obj) -> list[str]:
    spec = cj.get("spec") or {}
    keep = spec.get("successfulJobsHistoryLimit", 3)
    return [msg("MG003.history", cronjob=name(cj), schedule=repr(spec.get("schedule")), keep=keep)]


def _last_success(cj: Obj, jobs: list[Obj]) -> datetime | None:
    times = [parse_time((cj.get("status") or {}).get("lastSuccessfulTime"))]
    times += [
        _finished(j) for j in jobs if _condition(j, "Complete") or (j.get("status") or {}).get("succeeded")
    ]
    known = [t for t in times if t is not None]
    return max(known) if known else None


def _schedule_findings(cj: Obj, jobs: list[Obj] | None, now: datetime, ns: str) -> list[Finding]:
    spec, cj_name = cj.get("spec") or {}, name(cj)
    found = []
    if spec.get("suspend"):
        found.append(
            finding(
                "MG003",
                msg("MG003.suspended", cronjob=cj_name),
                fix=[f'kubectl patch cronjob {cj_name} -n {ns} -p \'{{"spec":{{"suspend":false}}}}\''],
            )
        )
    mine = owned_jobs(jobs or [], cj_name)
    last = _last_success(cj, mine)
    found += _cadence_findings(cj, mine, last, now, ns)
    failed = [j for j in mine if _condition(j, "Failed") and (last is None or (_finished(j) or now) > last)]
    if failed:
        found.append(
            finding(
                "MG003",
                msg("MG003.failed_jobs", jobs=", ".join(name(j) for j in failed)),
                [_failure_text(j) for j in failed],
                [f"kubectl logs -n {ns} job/{name(failed[-1])}"],
            )
        )
    return found


def _cadence_findings(
    cj: Obj, mine: list[Obj], last: datetime | None, now: datetime, ns: str
) -> list[Finding]:
    """The last success is within the schedule's period × 1.1 (a new CronJob gets one period)."""
    cj_name, schedule = name(cj), str((cj.get("spec") or {}).get("schedule", ""))
    period = schedule_period(schedule, now)
    created = parse_time((cj.get("metadata") or {}).get("creationTimestamp"))
    look = [f"kubectl get jobs -n {ns}", f"kubectl describe cronjob {cj_name} -n {ns}"]
    if period is None:
        return [finding("MG003", msg("MG003.bad_schedule", cronjob=cj_name, schedule=repr(schedule)))]
    if last is None and not (created and now - created < period * SLACK):
        jobs = ", ".join(name(j) for j in mine) or msg("MG003.none")
        return [
            finding(
                "MG003",
                msg("MG003.no_success", cronjob=cj_name),
                [msg("MG003.schedule_jobs", schedule=repr(schedule), jobs=jobs)],
                look,
            )
        ]
    if last is not None and now - last > period * SLACK:
        hours = period.total_seconds() * SLACK / 3600
        return [
            finding(
                "MG003",
                msg(
                    "MG003.too_old",
                    cronjob=cj_name,
                    ago=ago(last, now),
                    schedule=repr(schedule),
                    hours=f"{hours:.1f}",
                ),
                [msg("MG003.last_success", at=last.isoformat())],
                look,
            )
        ]
    return []


def _failure_text(job: Obj) -> str:
    for c in (job.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Failed":
            return f"Job {name(job)}: {c.get('reason', '')} {c.get('message', '')}".strip()
    return msg("MG003.job_failed", job=name(job))


def _azure_findings(exports: dict[str, bool] | None, secret_name: str, ns: str) -> list[Finding]:
    if exports is None:
        return [
            finding(
                "MG003",
                msg("MG003.azure_no_secret", secret=secret_name),
                fix=[f"kubectl describe secret {secret_name} -n {ns}"],
            )
        ]
    missing = [v for v in AZURE_EXPORTS if v not in exports]
    empty = [v for v in AZURE_EXPORTS if exports.get(v) is False]
    if not missing and not empty:
        return []
    what = [msg("MG003.not_exported", name=v) for v in missing] + [
        msg("MG003.exported_empty", name=v) for v in empty
    ]
    return [
        finding(
            "MG003",
            # "NAME: value" would read as a credential to the scrubber: the names go in parentheses
            msg(
                "MG003.azure_exports", secret=secret_name, names=" and ".join(AZURE_EXPORTS), what=tuple(what)
            ),
            [msg("MG003.exported", names=", ".join(sorted(exports)) or msg("MG003.nothing"))],
            advice=[msg("MG003.azure_advice")],
        )
    ]


# -- MG004 ------------------------------------------------------------------------------------------
def restore_findings(
    cronjobs: list[Obj], userdb_used: bool, names: dict[str, str], ns: str, replicas: int = 3
) -> tuple[list[Finding], list[str]]:
    have = {name(cj) for cj in cronjobs}
    wanted = [names["mongorestore"]] + ([names["userdbrestore"]] if userdb_used else [])
    found = [
        finding(
            "MG004",
            msg("MG004.no_cronjob", cronjob=cj),
            fix=[msg("MG004.enable_fix")],
        )
        for cj in wanted
        if cj not in have
    ]
    vantiq = names["vantiq"]
    steps = [f"kubectl scale sts -n {ns} {vantiq} --replicas=0"]
    steps += [f"kubectl create job {cj} --from=cronjob/{cj} -n {ns}" for cj in wanted if cj in have]
    steps.append(f"kubectl scale sts -n {ns} {vantiq} --replicas={replicas}")
    return found, [msg("MG004.restore_path", steps=" ; ".join(steps))]


# -- MG001/MG002 (live) -----------------------------------------------------------------------------
def _member_line(m: dict[str, Any]) -> str:
    return f"{m.get('name')}: {m.get('stateStr')} (health {m.get('health')})"


def quorum_findings(result: ProbeResult) -> tuple[list[Finding], list[str]]:
    """MG001: a majority of members healthy and exactly one PRIMARY, as the member reached sees it."""
    if not result.ok:
        raise Unavailable(
            msg("MG001.no_session", target=result.target, error_class=result.error_class, error=result.error)
        )
    if "members" not in result.data:
        code, error = result.data.get("status_code"), result.data.get("status_error", "")
        if code == 13:
            raise Unavailable(msg("MG001.not_authorized", error=error))
        return [finding("MG001", msg("MG001.fails", target=result.target, error=error))], []
    members = result.data["members"]
    lines = [_member_line(m) for m in members]
    healthy = [m for m in members if m.get("health") == 1 and m.get("stateStr") in ("PRIMARY", "SECONDARY")]
    primaries = [m for m in members if m.get("stateStr") == "PRIMARY"]
    facts = [
        msg("MG001.seen_from", set=result.data.get("set"), target=result.target, vantage=result.vantage),
        *lines,
    ]
    if len(healthy) > len(members) // 2 and len(primaries) == 1:
        return [], facts
    why = msg("MG001.no_primary") if not primaries else msg("MG001.primaries", n=len(primaries))
    return [
        finding(
            "MG001",
            msg(
                "MG001.no_quorum",
                set=result.data.get("set"),
                healthy=len(healthy),
                members=len(members),
                why=why,
            ),
            lines,
            [
                "kubectl get pods -l app=mongodb -o wide   # bring the failed members back",
                "kubectl describe pod mongodb-N; kubectl logs mongodb-N -c mongodb",
            ],
        )
    ], facts


def login_findings(result: ProbeResult, user: EnvValue, password: EnvValue, ns: str) -> list[Finding]:
    """MG002: the MongoDB credentials Vantiq is given log in (`ping`)."""
    if result.ok:
        return []
    source = (
        msg("MG002.secret_key", secret=password.secret[0], key=password.secret[1])
        if password.secret
        else password.source
    )
    fix = []
    if password.secret:
        fix.append(
            f"kubectl get secret -n {ns} {password.secret[0]} -o jsonpath='{{.data.{password.secret[1]}}}' "
            "| base64 -d | wc -c   # its length; compare the value privately"
        )
    fix.append(f"kubectl rollout restart sts/vantiq -n {ns}   # after correcting the Secret")
    what = {
        "auth-failed": msg("MG002.auth_failed", user=user.shown),
        "not-authorized": msg("MG002.not_authorized", user=user.shown),
    }.get(result.error_class, msg("MG002.fails_at", step=result.failed_at, error_class=result.error_class))
    return [
        finding(
            "MG002",
            msg("MG002.login", what=what, name=password.name, source=source),
            [result.describe(), msg("MG002.server_said", error=result.error)],
            fix,
        )
    ]
