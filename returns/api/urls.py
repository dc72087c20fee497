from django.urls import path

from returns.api import orders, payments, schema, shopify, store

app_name = "api"
urlpatterns: list = [
    path("orders", orders.orders, name="orders"),
    path("refunds", store.refunds_list, name="refunds"),
    path("returns", store.returns_list, name="returns"),
    path("returns/<str:rma>", store.return_detail, name="return"),
    path("schema", schema.schema, name="schema"),
    path("shopify/webhooks", shopify.webhooks, name="shopify_webhooks"),
    path("stripe/webhook", payments.stripe_webhook, name="stripe_webhook"),
]
