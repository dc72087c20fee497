"""The benchmark's reference: bare Django rendering a 12-row template behind the same kind of middleware.

Served by ``make bench`` with the same gunicorn flags as the portal; every page's
throughput is reported as a share of this one's.
"""
