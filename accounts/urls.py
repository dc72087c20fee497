from django.urls import path

app_name = "accounts"
urlpatterns: list = [
    # Filled in by the customer-accounts work (issue 3).
]
