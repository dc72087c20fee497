"""run_scheduled: every periodic job on its period, and each due job once however many hosts run it."""

import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.db import connections
from django.utils import timezone

from returns.management.scheduler import HOUR, JOBS, Job, job_lock, run_due
from returns.models import ScheduledJobRun

BASE_DIR = Path(__file__).resolve().parents[3]


def _env() -> dict:
    db = django_settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        url = f"sqlite:///{db['NAME']}"
    else:
        url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": url}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_schedulers_on_three_hosts_run_each_due_job_once():
    """Three run_scheduled processes started together on one database: every job ran, and each once."""
    Session.objects.create(session_key="old", session_data="x", expire_date=timezone.now() - timedelta(days=1))
    processes = [
        subprocess.Popen(
            [sys.executable, "manage.py", "run_scheduled"],
            cwd=BASE_DIR,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert all(p.returncode == 0 for p in processes), outputs
    ran = [line.split(":", 1)[0] for out, _ in outputs for line in out.splitlines() if line != "Nothing due."]
    assert sorted(ran) == sorted(job.name for job in JOBS)
    assert "sessions: 1 expired session(s) deleted" in "".join(out for out, _ in outputs)
    assert set(ScheduledJobRun.objects.values_list("job", flat=True)) == {job.name for job in JOBS}

    again = subprocess.run(
        [sys.executable, "manage.py", "run_scheduled"], cwd=BASE_DIR, env=_env(), capture_output=True, text=True
    )
    assert again.stdout.strip() == "Nothing due."  # an hour has not passed


def _counting(name: str, period=HOUR, fail=False):
    calls = []

    def run():
        calls.append(1)
        if fail:
            raise RuntimeError("the bucket did not answer")
        return f"did {len(calls)}"

    return Job(name, period, run, "a test job"), calls


@pytest.mark.django_db
def test_a_job_runs_again_once_its_period_has_passed():
    job, _ = _counting("hourly")
    now = timezone.now()
    assert [r.outcome for r in run_due(now=now, jobs=[job])] == ["did 1"]
    assert run_due(now=now + timedelta(minutes=59), jobs=[job]) == []
    assert [r.outcome for r in run_due(now=now + timedelta(minutes=60), jobs=[job])] == ["did 2"]
    row = ScheduledJobRun.objects.get(job="hourly")
    assert row.outcome == "did 2" and not row.failed and row.finished_at


@pytest.mark.django_db
def test_a_failing_job_is_recorded_and_the_others_still_run(caplog):
    broken, _ = _counting("broken", fail=True)
    fine, _ = _counting("fine")
    ran = run_due(jobs=[broken, fine])
    assert [(r.job, r.failed) for r in ran] == [("broken", True), ("fine", False)]
    assert ScheduledJobRun.objects.get(job="broken").outcome == "failed: RuntimeError: the bucket did not answer"
    assert "Job broken failed" in caplog.text


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_job_another_process_is_running_is_left_to_it():
    job, calls = _counting("slow")
    inside, release = threading.Event(), threading.Event()
    results = []

    def other_host():
        try:
            with job_lock("slow") as held:
                results.append(held)
                inside.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_host)
    thread.start()
    assert inside.wait(10)
    try:
        assert run_due(jobs=[job]) == []  # held elsewhere: not started here, not waited for
    finally:
        release.set()
        thread.join()
    assert results == [True] and calls == []
    assert [r.job for r in run_due(jobs=[job])] == ["slow"]


@pytest.mark.django_db
def test_the_session_job_deletes_only_expired_sessions():
    now = timezone.now()
    Session.objects.create(session_key="expired", session_data="x", expire_date=now - timedelta(minutes=1))
    Session.objects.create(session_key="current", session_data="x", expire_date=now + timedelta(days=1))
    [ran] = run_due(jobs=[j for j in JOBS if j.name == "sessions"])
    assert ran.outcome == "1 expired session(s) deleted"
    assert list(Session.objects.values_list("session_key", flat=True)) == ["current"]


@pytest.mark.django_db
def test_check_deploy_with_the_database_says_when_no_scheduler_runs():
    from django.core.checks import run_checks

    def warnings():
        return [m.id for m in run_checks(include_deployment_checks=True, databases=["default"])]

    assert "returns.W003" in warnings()
    ScheduledJobRun.objects.create(job="deadlines", started_at=timezone.now() - timedelta(days=2))
    assert "returns.W003" in warnings()
    run_due(jobs=[_counting("deadlines", period=HOUR)[0]])
    assert "returns.W003" not in warnings()
