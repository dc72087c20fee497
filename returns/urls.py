from django.urls import path

app_name = "returns"
urlpatterns: list = [
    # Filled in by the customer-portal work (issue 3).
]
