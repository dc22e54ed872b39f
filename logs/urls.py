from django.urls import path

from . import views

app_name = "logs"
urlpatterns = [
    path("", views.generation_list, name="list"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("<str:generation_id>/", views.generation_detail, name="detail"),
    path("<str:generation_id>/raw/<str:stage>", views.stage_raw, name="raw"),
]
