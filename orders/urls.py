from django.urls import path

from . import commission_views, contact_views, views

app_name = "orders"

urlpatterns = [
    path("offers/", views.offer_list, name="offer_list"),
    path("offers/<int:pk>/", views.offer_detail, name="offer_detail"),
    path("my/purchases/", views.purchase_list, name="purchase_list"),
    path("my/purchases/<int:pk>/", views.purchase_detail, name="purchase_detail"),
    path("my/purchases/<int:pk>/pay/", views.purchase_pay, name="purchase_pay"),
    path("my/purchases/<int:pk>/cancel/", views.purchase_cancel, name="purchase_cancel"),
    path("my/purchases/<int:pk>/withdraw/", views.purchase_withdraw, name="purchase_withdraw"),
    path("seller/orders/", views.seller_order_list, name="seller_order_list"),
    path("seller/orders/<int:pk>/", views.seller_order_detail, name="seller_order_detail"),
    path("seller/orders/<int:pk>/tracking/", views.seller_order_tracking, name="seller_order_tracking"),
    path("seller/orders/<int:pk>/handed-over/", views.seller_order_handed_over, name="seller_order_handed_over"),
    path(
        "seller/orders/<int:pk>/transfer-received/",
        views.seller_order_transfer_received,
        name="seller_order_transfer_received",
    ),
    path("seller/orders/<int:pk>/refund/", views.seller_order_refund, name="seller_order_refund"),
    path(
        "seller/orders/<int:pk>/commission-refund/",
        commission_views.commission_refund_new,
        name="commission_refund_new",
    ),
    path("seller/contact/", contact_views.seller_contact, name="seller_contact"),
    path("seller/commission-refunds/", commission_views.commission_refund_list, name="commission_refund_list"),
    path(
        "seller/commission-refunds/<int:pk>/",
        commission_views.commission_refund_detail,
        name="commission_refund_detail",
    ),
    path(
        "seller/commission-refunds/<int:pk>/appeal/",
        commission_views.commission_refund_appeal,
        name="commission_refund_appeal",
    ),
    path(
        "seller/commission-refunds/<int:pk>/cancel/",
        commission_views.commission_refund_cancel,
        name="commission_refund_cancel",
    ),
]
