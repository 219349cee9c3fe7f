"""Summary, Markdown section and machine facts of the sign-in load test."""

import datetime
import importlib.metadata
import math
import os
import platform
import re
import textwrap

from bench.load_setup import FRAME_MAX_SIDE

STEPS = ["login_page", "password", "face_page", "challenge", "verify", "done_page"]
SECTION_HEADING = "## Sign-in load"
# Audit events that each successful sign-in writes once.
AUDITED = ["sign_in_succeeded", "face_verified"]


def percentile(values, fraction):
    """Return the nearest-rank percentile of ``values`` (fraction in 0..1)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def machine_info():
    import dlib

    try:
        dlib_wheel = f"dlib-bin {importlib.metadata.version('dlib-bin')}"
    except importlib.metadata.PackageNotFoundError:
        dlib_wheel = "dlib (not the dlib-bin wheel)"
    cuda = "CUDA on" if getattr(dlib, "DLIB_USE_CUDA", False) else "CUDA off"
    return {
        "cpus": os.cpu_count(),
        "arch": platform.machine(),
        "python": platform.python_version(),
        "dlib": f"dlib {dlib.__version__} ({dlib_wheel}, {cuda})",
        "load": " ".join(f"{value:.2f}" for value in os.getloadavg()),
        "busy": os.getloadavg()[0] > (os.cpu_count() or 1),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def postgres_version(server_url):
    import psycopg2

    connection = psycopg2.connect(f"{server_url}/postgres")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return cursor.fetchone()[0]
    finally:
        connection.close()


def summarize(outcomes, seconds, args):
    succeeded = [outcome for outcome in outcomes if outcome.ok]
    errors = {}
    for outcome in outcomes:
        if not outcome.ok:
            errors[outcome.error] = errors.get(outcome.error, 0) + 1

    steps = {}
    for step in STEPS:
        values = [o.step_seconds[step] for o in succeeded if step in o.step_seconds]
        steps[step] = (percentile(values, 0.5), percentile(values, 0.95))

    totals = [outcome.seconds for outcome in succeeded]
    return {
        "requested": args.sign_ins,
        "attempted": len(outcomes),
        "succeeded": len(succeeded),
        "errors": errors,
        "seconds": seconds,
        "throughput": len(succeeded) / seconds if seconds else 0.0,
        "p50": percentile(totals, 0.5),
        "p95": percentile(totals, 0.95),
        "steps": steps,
    }


def seconds_text(value):
    return "n/a" if value is None else f"{value:.2f} s"


def audit_text(audit):
    if audit is None:
        return "audit app not installed in this run"
    expected, counts = audit
    parts = [f"{event} {counts.get(event, 0)} of {expected}" for event in AUDITED]
    others = {event: n for event, n in counts.items() if event not in AUDITED}
    if others:
        parts.append(", ".join(f"{event} {n}" for event, n in sorted(others.items())))
    return "; ".join(parts)


def report_markdown(summary, machine, command, args, frames_per_burst, pg, audit):
    """Return the Sign-in load section as Markdown, heading included."""
    error_count = summary["attempted"] - summary["succeeded"]
    intro = (
        "`bench/login_load.py` starts gunicorn on 127.0.0.1 with its own PostgreSQL "
        "database and runs full hosted-login sign-ins from concurrent clients: GET "
        "the login page, POST the password, GET the face step, POST for the "
        "attempt's challenge nonce, POST a burst of frames with it to the verify "
        "endpoint, GET the signed-in page. The pool's liveness is off, so a burst "
        "that repeats one still photo verifies. Each frame is a shared "
        f"photo downscaled to {FRAME_MAX_SIDE} px on its longer side (JPEG). "
        f"{args.warmup} unmeasured sign-ins first let every worker load the dlib "
        "models. Latencies are of successful sign-ins only."
    )
    lines = [
        SECTION_HEADING,
        "",
        textwrap.fill(intro, width=80),
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {machine['cpus']} CPUs (`nproc`), {machine['arch']}, Python "
        f"{machine['python']}, {machine['dlib']}, PostgreSQL {pg}; {machine['date']}; "
        f"load average before the run {machine['load']}.",
        "",
    ]
    if machine["busy"]:
        lines += [
            textwrap.fill(
                "The 1-minute load average exceeded the CPU count, so other "
                "processes competed for the CPUs during the run and these figures "
                "understate what the server does on an idle machine.",
                width=80,
            ),
            "",
        ]
    lines += [
        "| measure | value |",
        "| --- | --- |",
        f"| clients | {args.clients} |",
        f"| gunicorn | {args.workers} workers x {args.threads} threads |",
        f"| cache | {'Redis (REDIS_URL)' if args.redis_url else 'local memory, per worker'} |",
        f"| frames per verification | {frames_per_burst} |",
        f"| sign-ins completed | {summary['succeeded']} of {summary['requested']} |",
        f"| errors | {error_count} |",
        f"| not started (--max-seconds reached) | "
        f"{summary['requested'] - summary['attempted']} |",
        f"| wall time | {summary['seconds']:.1f} s |",
        f"| throughput | {summary['throughput']:.2f} sign-ins/s |",
        f"| sign-in latency p50 | {seconds_text(summary['p50'])} |",
        f"| sign-in latency p95 | {seconds_text(summary['p95'])} |",
    ]
    for step in STEPS:
        p50, p95 = summary["steps"][step]
        lines.append(
            f"| {step} request p50 / p95 | {seconds_text(p50)} / {seconds_text(p95)} |"
        )
    lines.append(f"| audit rows | {audit_text(audit)} |")
    if summary["errors"]:
        lines += ["", "Errors:", ""]
        for message, count in sorted(summary["errors"].items(), key=lambda i: -i[1]):
            lines.append(f"- {count} x `{message}`")
    return "\n".join(lines) + "\n"


def write_section(path, section):
    """Replace the Sign-in load section of ``path``, or append it at the end."""
    text = path.read_text() if path.exists() else ""
    start = text.find(SECTION_HEADING + "\n")
    if start == -1:
        before = text.rstrip("\n") + "\n\n" if text.strip() else ""
        path.write_text(before + section)
        return

    body_start = start + len(SECTION_HEADING)
    following = re.search(r"^## ", text[body_start:], re.MULTILINE)
    if following is None:
        path.write_text(text[:start] + section)
        return
    end = body_start + following.start()
    path.write_text(text[:start] + section + "\n" + text[end:])
