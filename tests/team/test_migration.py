"""Roles arrive on an existing database: the members there keep every right, as owners."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def test_existing_memberships_become_owners_new_ones_members(prices):
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    before = [("billing", "0011_ledger_without_generation_index")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    account = old.get_model("billing", "Account").objects.create(external_id="MIGACC01")
    user = old.get_model("auth", "User").objects.create(username="old-timer")
    old.get_model("billing", "Membership").objects.create(user=user, account=account)
    executor = MigrationExecutor(connection)
    executor.migrate(latest)
    from billing.models import Account, Membership

    assert Membership.objects.get(user__username="old-timer").role == "owner"
    second = Account.objects.create(external_id="MIGACC02")
    assert Membership.objects.create(user_id=user.pk, account=second).role == "member"
