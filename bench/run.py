"""``make bench``: how fast each page is served, as a share of bare Django on the same machine.

Sets up a throwaway database with the demo data (PostgreSQL if one answers at
BENCH_POSTGRES, else SQLite), serves the portal with the production settings and the
README's gunicorn command, and the bare reference site (bench/bare) beside it with the
same flags; signs in through the real forms; runs wrk against each page and the bare
view in alternating rounds; prints req/s, p50, p99 and the ratio to the bare view
(medians over the rounds), then each page's in-process time and query count. Stops
what it started and drops the database, also on Ctrl-C.

Settings (environment): BENCH_DURATION (seconds per page per round, 3), BENCH_ROUNDS (2),
BENCH_CONNECTIONS (8), BENCH_THREADS (wrk's, 2), BENCH_WORKERS (gunicorn workers, 2), BENCH_GTHREADS
(threads per gunicorn worker, 16 as in the README),
BENCH_PAGES (comma-separated page keys, default all), BENCH_POSTGRES
(postgres://postgres@127.0.0.1:5432; "none" for SQLite), BENCH_PROFILE (a page key:
print its cProfile instead of benchmarking). No CACHE_URL: none of the pages measured uses
the cache, and the bench leaves no keys in a shared Redis.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PASSWORD = "alotrop-demo"  # noqa: S105 - the demo accounts seed_demo makes

# key, title, who signs in (None: anonymous), path (filled in from the demo data)
PAGES = [
    ("home", "home (anonymous)", None, "/"),
    ("orders", "my orders (5 orders)", "ana@example.com", "/orders/"),
    ("order", "an order", "ana@example.com", "/orders/100101/"),
    ("start", "start a return (GET)", "ana@example.com", "/orders/100101/return/"),
    ("return", "a return's page", "bruno@example.com", "/returns/{rma}/"),
    ("authorization", "printable authorization", "bruno@example.com", "/returns/{rma}/authorization/"),
    ("admin_list", "admin request list", "service@alotrop.com", "/admin/returns/returnrequest/"),
    ("admin_page", "admin request page", "service@alotrop.com", "/admin/returns/returnrequest/{request_id}/change/"),
    ("admin_index", "admin index", "service@alotrop.com", "/admin/"),
]


def setting(name: str, default):
    return type(default)(os.environ.get(f"BENCH_{name}", default))


def say(*parts):
    print(*parts, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_wrk() -> str:
    if found := shutil.which("wrk"):
        return found
    say("wrk is missing; installing the Debian package")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "install", "-y", "-q", "wrk"], check=True, stdout=subprocess.DEVNULL)
    return shutil.which("wrk") or sys.exit("wrk could not be installed; install the Debian package wrk")


# --- the throwaway database -------------------------------------------------


def database(stack: ExitStack) -> str:
    server = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    name = f"alotrop_bench_{os.getpid()}"
    if server != "none":
        try:
            import psycopg

            admin = psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=3)
        except Exception as error:  # any failure means: use SQLite
            say(f"no PostgreSQL at {server} ({error.__class__.__name__}); using SQLite")
        else:
            admin.execute(f'CREATE DATABASE "{name}"')

            def drop():
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.close()

            stack.callback(drop)
            return f"{server}/{name}"
    directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="alotrop-bench-"))
    return f"sqlite:///{directory}/bench.sqlite3"


def manage(env: dict, *args: str, settings: str = "config.settings.production") -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env | {"DJANGO_SETTINGS_MODULE": settings},
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


# --- servers ------------------------------------------------------------------


def serve(stack: ExitStack, env: dict, app: str, port: int, workers: int) -> None:
    """The README's production command: gunicorn config.wsgi --bind ... --workers N --worker-class gthread ..."""
    command = [str(Path(PYTHON).parent / "gunicorn"), app, "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    command += ["--worker-class", "gthread", "--threads", str(setting("GTHREADS", 16)), "--timeout", "30"]
    command += ["--log-level", "warning"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)

    def stop():
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    stack.callback(stop)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if process.poll() is not None:
                sys.exit(f"{app} did not start")
            time.sleep(0.1)
    sys.exit(f"{app} did not start listening on {port}")


HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}  # as the TLS proxy sets them


def request(port: int, method: str, path: str, cookies: dict, body: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = HTTPS | {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    data = None
    if body is not None:
        origin = f"https://127.0.0.1:{port}"
        headers |= {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin, "Referer": origin + path}
        data = urlencode(body)
    connection.request(method, path, body=data, headers=headers)
    response = connection.getresponse()
    text = response.read().decode("utf-8", "replace")
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            cookies[name] = rest.split(";", 1)[0]
    connection.close()
    return response.status, response.getheader("Location"), text


def sign_in(port: int, email: str) -> dict:
    """Through the real form: the customer sign-in page, or the admin's for staff."""
    cookies: dict = {}
    path = "/admin/login/" if email.endswith("@alotrop.com") else "/account/sign-in/"
    status, _, page = request(port, "GET", path, cookies)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if status != 200 or not token:
        sys.exit(f"the sign-in form at {path} did not load ({status})")
    fields = {"csrfmiddlewaretoken": token.group(1), "username": email, "password": PASSWORD}
    status, _, _ = request(port, "POST", path, cookies, fields)
    if status != 302 or "sessionid" not in cookies:
        sys.exit(f"signing in {email} failed ({status})")
    return cookies


# --- load ---------------------------------------------------------------------

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(binary: str, url: str, cookies: dict) -> dict:
    command = [binary, f"-t{setting('THREADS', 2)}", f"-c{setting('CONNECTIONS', 8)}"]
    command += [f"-d{setting('DURATION', 3)}s", "--latency", "--timeout", "10s"]
    for name, value in (HTTPS | {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    if os.environ.get("BENCH_VERBOSE"):
        say(output)
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", output, re.M))

    def ms(text):
        number, unit = re.fullmatch(r"([\d.]+)(\w+)", text).groups()
        return float(number) * UNITS[unit]

    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: .*", output)
    if bad or errors:
        say(f"  {url}: {bad.group(0) if bad else ''} {errors.group(0) if errors else ''}")
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": ms(latency["50"]),
        "p99": ms(latency["99"]),
    }


# --- in process ---------------------------------------------------------------


def in_process(env: dict, pages: list, cookies: dict, profile: str | None) -> dict:
    """Each page through Django's test client in this machine's one process: median time and queries."""
    job = {"pages": [(key, path, cookies.get(who, {})) for key, _, who, path in pages], "profile": profile}
    result = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "inprocess.py")],
        cwd=ROOT,
        env=env,
        input=json.dumps(job),
        check=True,
        capture_output=True,
        text=True,
    )
    if profile:
        print(result.stdout)
        return {}
    return json.loads(result.stdout)


def demo_site(stack: ExitStack, who: str) -> tuple[dict, dict]:
    """A throwaway database with the demo data and the static files: the environment that serves it, and
    the ids the pages' paths need."""
    url = database(stack)
    env = os.environ | {
        "DATABASE_URL": url,
        "DJANGO_SECRET_KEY": secrets.token_hex(32),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "NUM_PROXIES": "1",
        "EMAIL_URL": "dummymail://",
        "EMAIL_DELIVERY": "worker",
        "LOG_LEVEL": "WARNING",
    }
    say(f"{who}: database {url.rsplit('/', 1)[-1]}: migrate, demo data, static files")
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo", settings="config.settings.local")
    manage(env, "collectstatic", "--noinput")
    return env, json.loads(manage(env, "shell", "-c", DISCOVER).strip().splitlines()[-1])


def main() -> None:
    wanted = [key for key in os.environ.get("BENCH_PAGES", "").split(",") if key]
    profile = os.environ.get("BENCH_PROFILE") or None
    binary = None if profile else ensure_wrk()
    with ExitStack() as stack:
        stack.callback(say, "bench: stopped the servers and dropped the database")
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
        env, ids = demo_site(stack, "bench")
        pages = [
            (key, title, who, path.format(**ids)) for key, title, who, path in PAGES if not wanted or key in wanted
        ]
        workers = setting("WORKERS", 2)
        portal, bare = free_port(), free_port()
        serve(stack, env | {"DJANGO_SETTINGS_MODULE": "config.settings.production"}, "config.wsgi", portal, workers)
        serve(stack, env | {"DJANGO_SETTINGS_MODULE": "bench.bare.settings"}, "bench.bare.wsgi", bare, workers)
        cookies = {who: sign_in(portal, who) for who in {who for _, _, who, _ in pages if who}}
        for key, _, who, path in pages:
            for _ in range(2 * workers):  # each worker compiles its templates before it is timed
                status, location, _ = request(portal, "GET", path, dict(cookies.get(who, {})))
                if status != 200:
                    sys.exit(f"{key}: {path} answered {status} {location or ''}; the benchmark needs the page itself")
        for _ in range(2 * workers):
            request(bare, "GET", "/bare/", {})
        if profile:
            in_process(env | {"DJANGO_SETTINGS_MODULE": "config.settings.production"}, pages, cookies, profile)
            return
        rounds = setting("ROUNDS", 2)
        runs: dict[str, list] = {key: [] for key in ["bare", *(key for key, *_ in pages)]}
        for number in range(1, rounds + 1):
            say(f"bench: round {number} of {rounds}")
            runs["bare"].append(wrk(binary, f"http://127.0.0.1:{bare}/bare/", {}))
            for key, _, who, path in pages:
                runs[key].append(wrk(binary, f"http://127.0.0.1:{portal}{path}", cookies.get(who, {})))
        inside = in_process(env | {"DJANGO_SETTINGS_MODULE": "config.settings.production"}, pages, cookies, None)
        report(pages, runs, inside, workers)


def report(pages, runs, inside, workers) -> None:
    def median(key, field):
        return statistics.median(run[field] for run in runs[key])

    bare = median("bare", "rps")
    print(
        f"\ngunicorn --workers {workers}; wrk -t{setting('THREADS', 2)} -c{setting('CONNECTIONS', 8)} "
        f"-d{setting('DURATION', 3)}s; {setting('ROUNDS', 2)} alternating rounds, medians\n"
    )
    print("| page | req/s | p50 ms | p99 ms | share of bare | in-process ms | queries |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    row = "| {} | {:.0f} | {:.1f} | {:.1f} | {} | {} | {} |"
    print(row.format("bare Django (12 rows)", bare, median("bare", "p50"), median("bare", "p99"), "1.00", "", ""))
    for key, title, *_ in pages:
        ms, queries = inside[key]
        rps = median(key, "rps")
        print(row.format(title, rps, median(key, "p50"), median(key, "p99"), f"{rps / bare:.3f}", f"{ms:.2f}", queries))


DISCOVER = """
import json
from returns.models import ReturnRequest
request = ReturnRequest.objects.filter(order__number="100202", status="approved").get()
print(json.dumps({"rma": request.rma, "request_id": request.pk}))
"""

if __name__ == "__main__":
    main()
