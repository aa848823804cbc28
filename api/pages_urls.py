"""Seller dashboard pages of the API: applications, authorized tokens, developer guide;
the page that connects a device (API-05)."""

from django.urls import path

from . import device, pages

app_name = "api_pages"

urlpatterns = [
    path("seller/api/", pages.dashboard, name="dashboard"),
    path("seller/api/applications/<int:pk>/delete/", pages.application_delete, name="application_delete"),
    path("seller/api/authorizations/<int:pk>/revoke/", pages.authorization_revoke, name="authorization_revoke"),
    path("seller/api/guide/", pages.developer_guide, name="guide"),
    # The device flow's verification address (API-05), the marketplace's.
    path("skojarz-aplikacje", device.verify, name="device"),
]
