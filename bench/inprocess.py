"""Each page in one process through Django's test client: median time and query count.

Run by bench/run.py with the production settings and the bench database; reads the
pages (key, path, cookies) as JSON on stdin and writes {key: [ms, queries]} to stdout.
With "profile" set to a page key, prints that page's cProfile instead.
"""

import cProfile
import io
import json
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

REPEAT = 60


def client_for(cookies: dict) -> Client:
    client = Client(HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_FOR="203.0.113.7")
    for name, value in cookies.items():
        client.cookies[name] = value
    return client


def get(client: Client, path: str):
    response = client.get(path)
    if response.status_code != 200:
        sys.exit(f"{path} answered {response.status_code}")
    return response


def main():
    job = json.load(sys.stdin)
    results = {}
    for key, path, cookies in job["pages"]:
        client = client_for(cookies)
        for _ in range(5):  # warm: templates compiled, connections open
            get(client, path)
        if job["profile"] == key:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(REPEAT):
                get(client, path)
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
            stats.print_stats(60)
            stats.sort_stats("tottime").print_stats(30)
            print(out.getvalue())
            return
        times = []
        for _ in range(REPEAT):
            start = time.perf_counter()
            get(client, path)
            times.append((time.perf_counter() - start) * 1000)
        with CaptureQueriesContext(connection) as queries:
            get(client, path)
        results[key] = [statistics.median(times), len(queries)]
    json.dump(results, sys.stdout)


main()
