from django.urls import path

from . import orders, payments, schema

app_name = "api"
urlpatterns: list = [
    path("orders", orders.orders, name="orders"),
    path("schema", schema.schema, name="schema"),
    path("stripe/webhook", payments.stripe_webhook, name="stripe_webhook"),
]
