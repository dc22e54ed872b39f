# Issue 21: roles on memberships (existing ones become owners), allowed email domains for
# single sign-on, invitations, the audit log, and a user profile (the chosen language).

import django.core.serializers.json
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0011_ledger_without_generation_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="account",
            name="allowed_email_domains",
            field=models.TextField(
                blank=True,
                help_text="Email domains whose people may join as viewers on their first single sign-on, one per line or comma-separated (example.com).",
            ),
        ),
        # Existing members could do everything: they become owners (the column's default
        # fills the rows), and new memberships default to member from then on.
        migrations.AddField(
            model_name="membership",
            name="role",
            field=models.CharField(
                choices=[
                    ("viewer", "Viewer"),
                    ("member", "Member"),
                    ("admin", "Admin"),
                    ("owner", "Owner"),
                ],
                default="owner",
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="membership",
            name="role",
            field=models.CharField(
                choices=[
                    ("viewer", "Viewer"),
                    ("member", "Member"),
                    ("admin", "Admin"),
                    ("owner", "Owner"),
                ],
                default="member",
                max_length=10,
            ),
        ),
        migrations.CreateModel(
            name="UserProfile",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("language", models.CharField(blank=True, max_length=16)),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="profile",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="AuditEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("actor_name", models.CharField(blank=True, max_length=150)),
                ("ip_address", models.GenericIPAddressField(blank=True, null=True)),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("signin.succeeded", "Sign-in succeeded"),
                            ("signin.failed", "Sign-in failed"),
                            ("signin.locked_out", "Sign-in locked out"),
                            ("signin.refused", "Sign-in refused"),
                            ("password.changed", "Password changed"),
                            ("invitation.sent", "Invitation sent"),
                            ("invitation.accepted", "Invitation accepted"),
                            ("invitation.revoked", "Invitation revoked"),
                            ("member.joined", "Member joined"),
                            ("member.role_changed", "Role changed"),
                            ("member.removed", "Member removed"),
                            ("token.created", "Token created"),
                            ("token.revoked", "Token revoked"),
                            ("export", "Export"),
                            ("stage.downloaded", "Raw stage downloaded"),
                            ("plan.changed", "Plan changed"),
                            ("credit.added", "Credit added"),
                        ],
                        max_length=32,
                    ),
                ),
                ("object_type", models.CharField(blank=True, max_length=40)),
                ("object_ref", models.CharField(blank=True, max_length=200)),
                ("details",
 models.JSONField(blank=True, default=dict, encoder=django.core.serializers.json.DjangoJSONEncoder)),
                (
                    "account",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="audit_entries",
                        to="billing.account",
                    ),
                ),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "audit entries",
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(fields=["account", "created_at", "id"], name="audit_account_time"),
                    models.Index(
                        fields=["account", "action", "created_at", "id"],
                        name="audit_account_action",
                    ),
                    models.Index(
                        fields=["account", "actor_name", "created_at", "id"],
                        name="audit_account_actor",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="Invitation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("email", models.EmailField(max_length=254)),
                (
                    "role",
                    models.CharField(
                        choices=[
                            ("viewer", "Viewer"),
                            ("member", "Member"),
                            ("admin", "Admin"),
                            ("owner", "Owner"),
                        ],
                        default="member",
                        max_length=10,
                    ),
                ),
                ("token_hash", models.CharField(max_length=64, unique=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("expires_at", models.DateTimeField()),
                ("accepted_at", models.DateTimeField(blank=True, null=True)),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
                (
                    "accepted_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="invitations",
                        to="billing.account",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(fields=["account", "-created_at"], name="invitation_account")
                ],
            },
        ),
    ]
