from django.urls import path

from returns.api import orders, payments, schema, shopify

app_name = "api"
urlpatterns: list = [
    path("orders", orders.orders, name="orders"),
    path("schema", schema.schema, name="schema"),
    path("shopify/webhooks", shopify.webhooks, name="shopify_webhooks"),
    path("stripe/webhook", payments.stripe_webhook, name="stripe_webhook"),
]
