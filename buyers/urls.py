from django.urls import path

from . import views

app_name = "buyers"

urlpatterns = [
    path("seller/inactive-buyers/", views.tab, name="tab"),
    path("seller/inactive-buyers/add/", views.add, name="add"),
    path("seller/inactive-buyers/<int:pk>/remove/", views.remove, name="remove"),
    path("seller/inactive-buyers/evidence/<int:pk>/", views.evidence, name="evidence"),
    path("seller/inactive-buyers/evidence/<int:pk>/thumbnail/", views.evidence_thumbnail, name="evidence_thumbnail"),
]
