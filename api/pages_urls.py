"""Seller dashboard pages of the API: applications, authorized tokens, developer guide."""

from django.urls import path

from . import pages

app_name = "api_pages"

urlpatterns = [
    path("seller/api/", pages.dashboard, name="dashboard"),
    path("seller/api/applications/<int:pk>/delete/", pages.application_delete, name="application_delete"),
    path("seller/api/authorizations/<int:pk>/revoke/", pages.authorization_revoke, name="authorization_revoke"),
    path("seller/api/guide/", pages.developer_guide, name="guide"),
]
