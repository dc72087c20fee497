"""``make lighthouse``: Lighthouse (mobile, its default throttling) on every customer page, as a phone sees it.

Sets up the same throwaway database with the demo data as ``make bench`` (bench/run.py), serves it with
the production settings and the README's gunicorn command, signs the demo customers in through the real
forms, and runs Lighthouse from npm on each customer page with Debian's chromium (``CHROME_PATH``, default
/usr/bin/chromium). Prints each page's performance and best-practices scores, its layout shift (CLS) and
its weight, and fails (exit 1) when a page misses the bar of issue 16: performance >= 95, CLS <= 0.05, best
practices 100, at most 100 KiB. The JSON reports stay in ``test-artifacts/lighthouse/``.

Lighthouse is the npm package: ``LIGHTHOUSE`` names its command (e.g. node_modules/.bin/lighthouse), else
``npx --yes lighthouse@12`` fetches it from the registry. Scores move with the machine's load: the uptime
load is printed with the figures. ``LIGHTHOUSE_PAGES`` (comma-separated keys) picks pages.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
from contextlib import ExitStack

from bench.run import ROOT, demo_site, free_port, say, serve, sign_in

REPORTS = ROOT / "test-artifacts" / "lighthouse"
BAR = {"performance": 95, "best-practices": 100, "cls": 0.05, "kib": 100}

# key, title, who signs in (None: anonymous), path (filled in from the demo data)
PAGES = [
    ("home", "home", None, "/"),
    ("policy", "return policy", None, "/policy/"),
    ("sign_in", "sign in", None, "/account/sign-in/"),
    ("guest", "guest link", None, "/account/guest/"),
    ("orders", "my orders", "ana@example.com", "/orders/"),
    ("order", "an order", "ana@example.com", "/orders/100101/"),
    ("start", "start a return", "ana@example.com", "/orders/100101/return/"),
    ("return", "a return's page", "bruno@example.com", "/returns/{rma}/"),
    ("authorization", "return authorization", "bruno@example.com", "/returns/{rma}/authorization/"),
]


def lighthouse_command() -> list[str]:
    if named := os.environ.get("LIGHTHOUSE"):
        return shlex.split(named)
    return ["npx", "--yes", "lighthouse@12"]


def audit(url: str, cookies: dict, key: str) -> dict:
    """One Lighthouse run (mobile, simulated throttling: its defaults); the figures issue 16 sets a bar for."""
    REPORTS.mkdir(parents=True, exist_ok=True)
    report = REPORTS / f"{key}.json"
    headers = {"X-Forwarded-Proto": "https"}  # as the TLS proxy says (NUM_PROXIES=1)
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as extra:
        json.dump(headers, extra)
    command = [
        *lighthouse_command(),
        url,
        "--quiet",
        "--only-categories=performance,best-practices",
        "--output=json",
        f"--output-path={report}",
        f"--extra-headers={extra.name}",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
    ]
    env = os.environ | {"CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    try:
        subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    finally:
        os.unlink(extra.name)
    data = json.loads(report.read_text())
    audits, categories = data["audits"], data["categories"]
    return {
        "performance": round(categories["performance"]["score"] * 100),
        "best-practices": round(categories["best-practices"]["score"] * 100),
        "cls": audits["cumulative-layout-shift"]["numericValue"],
        "kib": audits["total-byte-weight"]["numericValue"] / 1024,
        "failed": [
            audit["title"]
            for audit in (audits[ref["id"]] for ref in categories["best-practices"]["auditRefs"] if ref["weight"])
            if audit["score"] is not None and audit["score"] < 1
        ],
    }


def misses(figures: dict) -> list[str]:
    out = []
    if figures["performance"] < BAR["performance"]:
        out.append(f"performance {figures['performance']} < {BAR['performance']}")
    if figures["best-practices"] < BAR["best-practices"]:
        out.append(f"best practices {figures['best-practices']} ({'; '.join(figures['failed'])})")
    if figures["cls"] > BAR["cls"]:
        out.append(f"CLS {figures['cls']:.3f} > {BAR['cls']}")
    if figures["kib"] > BAR["kib"]:
        out.append(f"{figures['kib']:.0f} KiB > {BAR['kib']}")
    return out


def main() -> None:
    wanted = [key for key in os.environ.get("LIGHTHOUSE_PAGES", "").split(",") if key]
    with ExitStack() as stack:
        stack.callback(say, "lighthouse: stopped the server and dropped the database")
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
        env, ids = demo_site(stack, "lighthouse")
        pages = [(k, t, who, p.format(**ids)) for k, t, who, p in PAGES if not wanted or k in wanted]
        port = free_port()
        serve(stack, env | {"DJANGO_SETTINGS_MODULE": "config.settings.production"}, "config.wsgi", port, 2)
        cookies = {who: sign_in(port, who) for who in {who for *_, who, _ in pages if who}}
        load = os.getloadavg()[0]
        print(f"Lighthouse (mobile) at load {load:.2f}; bar: performance >= 95, CLS <= 0.05, best practices 100, ")
        print(f"<= 100 KiB. Reports in {REPORTS.relative_to(ROOT)}/.")
        print(f"{'page':<22}{'perf':>6}{'best':>6}{'CLS':>8}{'KiB':>7}  misses")
        failed = False
        for key, title, who, path in pages:
            figures = audit(f"http://127.0.0.1:{port}{path}", cookies.get(who, {}), key)
            missed = misses(figures)
            failed = failed or bool(missed)
            print(
                f"{title:<22}{figures['performance']:>6}{figures['best-practices']:>6}"
                f"{figures['cls']:>8.3f}{figures['kib']:>7.0f}  {'; '.join(missed) or '-'}",
                flush=True,
            )
        print(f"load after: {os.getloadavg()[0]:.2f}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
