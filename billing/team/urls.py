from django.urls import path

from . import views

app_name = "team"
urlpatterns = [
    path("settings/members/", views.members, name="members"),
    path("settings/members/invite", views.invite, name="invite"),
    path("settings/members/<str:username>/role", views.change_role, name="change_role"),
    path("settings/members/<str:username>/remove", views.remove_member, name="remove_member"),
    path(
        "settings/invitations/<str:invitation_id>/revoke",
        views.revoke_invitation,
        name="revoke_invitation",
    ),
    path("invitations/<str:token>/", views.accept_invitation, name="invitation"),
    path("settings/tokens/", views.tokens, name="tokens"),
    path("settings/tokens/personal", views.create_personal_token, name="create_personal_token"),
    path(
        "settings/tokens/personal/<str:token_id>/revoke",
        views.revoke_personal_token,
        name="revoke_personal_token",
    ),
    path("settings/tokens/ingest", views.create_ingest_token, name="create_ingest_token"),
    path(
        "settings/tokens/ingest/<str:token_id>/revoke",
        views.revoke_ingest_token,
        name="revoke_ingest_token",
    ),
    path("settings/audit/", views.audit_log, name="audit"),
]
