"""Sign-in load test: concurrent password + face sign-ins against gunicorn.

The script creates its own PostgreSQL database, migrates and seeds it (one
pool, one app with Face Recognition on, enrolled users), starts gunicorn on
127.0.0.1, and drives ``--clients`` concurrent clients through a fixed number
of full sign-ins:

1. GET the hosted login page (sets the CSRF cookie),
2. POST the password,
3. GET the face step page (gives the login transaction id),
4. POST to the challenge endpoint (gives the one-time nonce of the attempt),
5. POST a burst of camera frames with the nonce to the verify endpoint,
6. GET the signed-in page.

The pool's liveness level is "off", so a burst of one still photo verifies.
With passive or active liveness a still photo is rejected as a presentation
attack. Frames are a shared photo downscaled so that its longer side is
640 px and saved as JPEG, about what a browser camera sends.

It reports throughput, p50 and p95 latency and errors, counts the audit rows
when the audit app is installed, and writes a "Sign-in load" section into
docs/benchmarks.md. Every request goes to 127.0.0.1; the run stops after
``--sign-ins`` sign-ins or ``--max-seconds``, whichever comes first, and then
stops gunicorn and drops its database.

Run from the repository root::

    .venv/bin/python -m bench.login_load --clients 20 --sign-ins 100
"""

import argparse
import concurrent.futures
import os
import re
import shlex
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
if str(REPO_DIR) not in sys.path:
    sys.path.insert(0, str(REPO_DIR))

import requests  # noqa: E402

from bench.load_report import (  # noqa: E402
    AUDITED,
    SECTION_HEADING,
    machine_info,
    postgres_version,
    report_markdown,
    summarize,
    write_section,
)
from bench.load_setup import (  # noqa: E402
    DATABASE_NAME,
    HOST,
    PASSWORD,
    Server,
    camera_frame,
    count_audit_rows,
    drop_database,
    free_port,
    recreate_database,
    seed,
    setup_django,
)

ENROLL_PHOTO = "people/obama/obama.jpg"
VERIFY_PHOTO = "people/obama/obama2.jpg"
TRANSACTION_ATTRIBUTE = re.compile(r'data-transaction="([^"]+)"')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Drive concurrent password + face sign-ins against gunicorn "
        "on 127.0.0.1 with PostgreSQL."
    )
    parser.add_argument(
        "--clients", type=int, default=20, help="concurrent clients (default 20)"
    )
    parser.add_argument(
        "--sign-ins",
        type=int,
        default=100,
        help="measured sign-ins in total, shared by the clients (default 100)",
    )
    parser.add_argument(
        "--users",
        type=int,
        default=None,
        help="seeded end users, each enrolled (default: one per client)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 2,
        help="gunicorn worker processes (default: the number of CPUs)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=4,
        help="threads per gunicorn worker (default 4)",
    )
    parser.add_argument(
        "--frames",
        type=int,
        default=None,
        help="frames per verification (default: MFA_FACE_BURST_FRAMES)",
    )
    parser.add_argument(
        "--photo",
        type=Path,
        default=None,
        help=f"photo sent as every frame (default: {VERIFY_PHOTO} of the shared faces)",
    )
    parser.add_argument(
        "--enroll-photo",
        type=Path,
        default=None,
        help=f"photo the users are enrolled with (default: {ENROLL_PHOTO})",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=None,
        help="unmeasured sign-ins before the run, so every worker has loaded the "
        "dlib models (default: 2 per worker)",
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=600,
        help="stop starting sign-ins after this many seconds (default 600)",
    )
    parser.add_argument(
        "--request-timeout",
        type=float,
        default=120,
        help="seconds one HTTP request may take (default 120)",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)"
    )
    parser.add_argument(
        "--postgres",
        default="postgres://postgres@127.0.0.1:5432",
        help="PostgreSQL server URL without a database name "
        "(default postgres://postgres@127.0.0.1:5432)",
    )
    parser.add_argument(
        "--database",
        default="bench_login_load",
        help="database to create and drop; must start with bench_ "
        "(default bench_login_load)",
    )
    parser.add_argument(
        "--keep-database",
        action="store_true",
        help="leave the database in place after the run",
    )
    parser.add_argument(
        "--redis-url",
        default="",
        help="REDIS_URL of the server, so that its workers share one cache as in "
        "production, for example redis://127.0.0.1:6379/14 "
        "(default: none, each worker uses its own local-memory cache)",
    )
    parser.add_argument(
        "--settings",
        default=None,
        help="DJANGO_SETTINGS_MODULE for the server and the seeding "
        "(default: the environment's, else idp.settings)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=REPO_DIR / "docs" / "benchmarks.md",
        help="Markdown file that gets the Sign-in load section "
        "(default docs/benchmarks.md)",
    )
    parser.add_argument("--no-write", action="store_true", help="print the result only")
    args = parser.parse_args(argv)

    if args.clients < 1 or args.sign_ins < 1:
        parser.error("--clients and --sign-ins must be at least 1")
    if not DATABASE_NAME.match(args.database):
        parser.error(
            f"--database {args.database!r} is invalid: use bench_ followed by lower-case "
            "letters, digits or underscores, because the script drops it"
        )
    if args.users is None:
        args.users = args.clients
    if args.warmup is None:
        args.warmup = 2 * args.workers
    return args


# Clients ----------------------------------------------------------------------


@dataclass
class Outcome:
    ok: bool
    seconds: float
    step_seconds: dict = field(default_factory=dict)
    error: str = ""


class StepFailed(Exception):
    pass


def expect(response, step, status):
    if response.status_code != status:
        body = response.text[:120].replace("\n", " ")
        raise StepFailed(f"{step}: HTTP {response.status_code} {body}")


def sign_in_once(base_url, client_id, identifier, frames, timeout):
    """Run one full sign-in in a fresh session and return its Outcome."""
    login_url = f"{base_url}/login/{client_id}/"
    face_url = f"{login_url}face/"
    session = requests.Session()
    steps = {}
    started = time.perf_counter()

    def timed(step, send):
        begin = time.perf_counter()
        response = send()
        steps[step] = time.perf_counter() - begin
        return response

    try:
        response = timed("login_page", lambda: session.get(login_url, timeout=timeout))
        expect(response, "login_page", 200)
        token = session.cookies.get("csrftoken")
        if not token:
            raise StepFailed("login_page: no csrftoken cookie")

        response = timed(
            "password",
            lambda: session.post(
                login_url,
                data={
                    "identifier": identifier,
                    "password": PASSWORD,
                    "csrfmiddlewaretoken": token,
                },
                allow_redirects=False,
                timeout=timeout,
            ),
        )
        expect(response, "password", 302)

        response = timed("face_page", lambda: session.get(face_url, timeout=timeout))
        expect(response, "face_page", 200)
        match = TRANSACTION_ATTRIBUTE.search(response.text)
        if match is None:
            raise StepFailed("face_page: no data-transaction attribute")

        transaction_id = match.group(1)
        response = timed(
            "challenge",
            lambda: session.post(
                f"{face_url}challenge/",
                data={"transaction": transaction_id},
                headers={"X-CSRFToken": session.cookies.get("csrftoken", token)},
                timeout=timeout,
            ),
        )
        expect(response, "challenge", 200)
        nonce = response.json()["nonce"]

        files = [
            ("frame", (f"frame-{index}.jpg", data, "image/jpeg"))
            for index, data in enumerate(frames)
        ]
        response = timed(
            "verify",
            lambda: session.post(
                f"{face_url}verify/",
                data={"transaction": transaction_id, "challenge": nonce},
                files=files,
                headers={"X-CSRFToken": session.cookies.get("csrftoken", token)},
                timeout=timeout,
            ),
        )
        expect(response, "verify", 200)
        status = response.json().get("status")
        if status != "verified":
            raise StepFailed(f"verify: status {status!r}")

        response = timed(
            "done_page", lambda: session.get(f"{login_url}done/", timeout=timeout)
        )
        expect(response, "done_page", 200)
    except (StepFailed, requests.RequestException, ValueError, KeyError) as error:
        return Outcome(False, time.perf_counter() - started, steps, str(error))
    finally:
        session.close()

    return Outcome(True, time.perf_counter() - started, steps)


def drive(base_url, seed_data, frames, args, count, clients):
    """Run ``count`` sign-ins over ``clients`` threads; return (outcomes, seconds)."""
    next_index = iter(range(count))
    lock = threading.Lock()
    deadline = time.monotonic() + args.max_seconds
    outcomes = []

    def client_loop():
        while time.monotonic() < deadline:
            with lock:
                index = next(next_index, None)
            if index is None:
                return
            identifier = seed_data.identifiers[index % len(seed_data.identifiers)]
            outcome = sign_in_once(
                base_url, seed_data.client_id, identifier, frames, args.request_timeout
            )
            with lock:
                outcomes.append(outcome)

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=clients) as pool:
        for future in [pool.submit(client_loop) for _ in range(clients)]:
            future.result()
    return outcomes, time.perf_counter() - started


# Main -------------------------------------------------------------------------


def main(argv=None):
    args = parse_args(argv)
    command = "python -m bench.login_load " + shlex.join(
        argv if argv is not None else sys.argv[1:]
    )
    from tests.faces import face_path

    verify_photo = args.photo or face_path(VERIFY_PHOTO)
    enroll_photo = args.enroll_photo or face_path(ENROLL_PHOTO)

    environment = {
        "DATABASE_URL": f"{args.postgres}/{args.database}",
        "IDP_ENVIRONMENT": "development",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": HOST,
        "DJANGO_SETTINGS_MODULE": args.settings
        or os.environ.get("DJANGO_SETTINGS_MODULE", "idp.settings"),
    }
    if args.redis_url:
        environment["REDIS_URL"] = args.redis_url

    machine = machine_info()
    pg = postgres_version(args.postgres)
    print(f"Creating database {args.database} and seeding {args.users} users ...")
    recreate_database(args.postgres, args.database)
    server = None
    try:
        setup_django(environment)
        from mfa_face.conf import settings as face_settings

        frames_per_burst = args.frames or face_settings.MFA_FACE_BURST_FRAMES
        enroll_frame = camera_frame(enroll_photo)
        enroll_frames = [enroll_frame] * face_settings.MFA_FACE_BURST_FRAMES
        seed_data = seed(args.users, enroll_frames)
        frames = [camera_frame(verify_photo)] * frames_per_burst

        port = args.port or free_port()
        log_path = Path(tempfile.gettempdir()) / f"{args.database}-gunicorn.log"
        server = Server(port, args.workers, args.threads, environment, log_path)
        print(f"Starting gunicorn on {HOST}:{port} (log {log_path}) ...")
        server.start(f"{server.base_url}/login/{seed_data.client_id}/")

        print(f"Warming up with {args.warmup} sign-ins ...")
        warm, _ = drive(
            server.base_url, seed_data, frames, args, args.warmup, args.workers
        )
        failed_warmup = [outcome.error for outcome in warm if not outcome.ok]
        if failed_warmup:
            print(
                f"Warm-up failed {len(failed_warmup)} times, first: {failed_warmup[0]}"
            )

        from django.utils import timezone

        measured_since = timezone.now()
        print(f"Running {args.sign_ins} sign-ins with {args.clients} clients ...")
        outcomes, seconds = drive(
            server.base_url, seed_data, frames, args, args.sign_ins, args.clients
        )
        summary = summarize(outcomes, seconds, args)
        audit = None
        if seed_data.audit_installed:
            audit = (summary["succeeded"], count_audit_rows(measured_since))
    finally:
        if server is not None:
            server.stop()
        if not args.keep_database:
            from django.db import connections

            connections.close_all()
            drop_database(args.postgres, args.database)

    section = report_markdown(
        summary, machine, command, args, frames_per_burst, pg, audit
    )
    print()
    print(section)
    if not args.no_write:
        write_section(args.output, section)
        print(f"Wrote the {SECTION_HEADING[3:]} section to {args.output}")

    lost = audit is not None and any(
        audit[1].get(event, 0) != audit[0] for event in AUDITED
    )
    return 1 if summary["succeeded"] < args.sign_ins or lost else 0


if __name__ == "__main__":
    sys.exit(main())
