from django.urls import path

from . import views

app_name = "discussions"

urlpatterns = [
    path("my/purchases/<int:order_pk>/discussion/new/", views.open_discussion, name="open"),
    path("my/discussions/", views.buyer_list, name="buyer_list"),
    path("my/discussions/<int:pk>/", views.buyer_detail, name="buyer_detail"),
    path("my/discussions/<int:pk>/message/", views.buyer_message, name="buyer_message"),
    path("my/discussions/<int:pk>/do/<slug:slug>/", views.buyer_action, name="buyer_action"),
    path("my/discussions/<int:pk>/messages/<int:message_pk>/report/", views.buyer_report, name="buyer_report"),
    path("seller/discussions/", views.seller_list, name="seller_list"),
    path("seller/discussions/<int:pk>/", views.seller_detail, name="seller_detail"),
    path("seller/discussions/<int:pk>/message/", views.seller_message, name="seller_message"),
    path("seller/discussions/<int:pk>/propose/", views.seller_propose, name="seller_propose"),
    path("seller/discussions/<int:pk>/request-end/", views.seller_request_end, name="seller_request_end"),
    path("seller/discussions/<int:pk>/messages/<int:message_pk>/report/", views.seller_report, name="seller_report"),
    path("seller/block/<int:pk>/", views.seller_block_detail, name="seller_block_detail"),
    path("seller/block/<int:pk>/complaint/", views.seller_block_complaint, name="seller_block_complaint"),
    path("seller/quality/", views.seller_quality, name="seller_quality"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
]
