from django.urls import path

from . import payments

app_name = "api"
urlpatterns: list = [
    path("stripe/webhook", payments.stripe_webhook, name="stripe_webhook"),
]
