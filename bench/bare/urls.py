from decimal import Decimal

from django.shortcuts import render
from django.urls import path

ROWS = [
    {"sku": f"SKU-{i:02d}", "name": f"Item number {i}", "quantity": 1 + i % 3, "price": Decimal("12.50") + i}
    for i in range(12)
]


def rows(request):
    return render(request, "rows.html", {"rows": ROWS})


urlpatterns = [path("bare/", rows)]
