from django.urls import path

from .detail import views as detail_views
from .listing import views as listing_views

app_name = "logs"
urlpatterns = [
    path("", listing_views.generation_list, name="list"),
    path("export.csv", listing_views.export_csv, name="export_csv"),
    path("<str:generation_id>/", detail_views.generation_detail, name="detail"),
    path("<str:generation_id>/raw/<str:stage>", detail_views.stage_raw, name="raw"),
    path("<str:generation_id>/cost", detail_views.cost, name="cost"),
]
