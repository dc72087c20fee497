"""The starvation benchmark runs end to end (tiny photos here; the real figures come from README's gunicorn)."""

import io
import json

import pytest
from django.core.management import call_command

from bench import photo_uploads
from returns.models import DamagePhoto, Order, PendingPhoto

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("mode", ["each", "form"])
def test_bench_uploads_measures_and_cleans_up(live_server, mode, settings):
    settings.PHOTO_UPLOADS_PER_HOUR = 100
    out = io.StringIO()
    call_command(
        photo_uploads.Command(),
        url=live_server.url,
        clients=2,
        photos=2,
        megapixels=0.3,
        mode=mode,
        limit=60,
        stdout=out,
    )
    report = json.loads(out.getvalue().split("\n", 1)[1])
    assert report["photos_kept"] == 4
    assert report["upload_statuses"] == ({"201": 4} if mode == "each" else {"200": 2})
    assert report["policy_requests_during"] >= 1 and report["policy_failures"] == []
    assert report["policy_p99_ms"] >= report["policy_p50_ms"] >= 0
    # Its demo order, sessions and photos are gone afterwards.
    assert not Order.objects.filter(number__startswith="BENCH-").exists()
    assert not PendingPhoto.objects.exists() and not DamagePhoto.objects.exists()
