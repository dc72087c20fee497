from django.urls import path

from returns.web import views

app_name = "returns"
urlpatterns: list = [
    path("orders/", views.orders, name="orders"),
    path("orders/<str:number>/", views.order_detail, name="order_detail"),
    path("orders/<str:number>/return/", views.start_return, name="start_return"),
    path("orders/<str:number>/return/estimate/", views.estimate, name="estimate"),
    path("orders/<str:number>/return/for-customer/", views.start_for_customer, name="start_for_customer"),
    path("orders/<str:number>/return/photos/", views.upload_photo, name="upload_photo"),
    path("photos/pending/<int:pk>/remove/", views.remove_pending_photo, name="pending_photo_remove"),
    path("photos/pending/<int:pk>/thumbnail/", views.pending_photo_thumbnail, name="pending_photo_thumbnail"),
    path("returns/<str:rma>/", views.return_detail, name="return_detail"),
    path("returns/<str:rma>/authorization/", views.authorization, name="authorization"),
    path("returns/<str:rma>/shipment/", views.record_shipment, name="record_shipment"),
    path("returns/<str:rma>/cancel/", views.cancel, name="cancel"),
    path("returns/<str:rma>/messages/", views.return_message, name="return_message"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("photos/<int:pk>/thumbnail/", views.photo_thumbnail, name="photo_thumbnail"),
    path("photos/emailed/<int:pk>/", views.message_photo, name="message_photo"),
    path(
        "photos/emailed/<int:pk>/thumbnail/",
        views.message_photo,
        {"thumbnail": True},
        name="message_photo_thumbnail",
    ),
    path("policy/", views.policy_page, name="policy"),
]
