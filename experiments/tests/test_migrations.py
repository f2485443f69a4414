"""Upgrading a database from before experiments were an app: its rows, their links and the staff's
permissions come through (recommendations 0006, experiments 0001 and 0002)."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from experiments.models import Experiment, ExperimentChange, Impression, Outcome
from users.models import User
from users.tests.factories import UserFactory
from venues.tests.factories import VenueFactory

pytestmark = pytest.mark.django_db(transaction=True)

# The last migrations before the move: the experiments' models in recommendations, no experiments app.
BEFORE = [("recommendations", "0005_help_texts_without_markup"), ("experiments", None)]
MOVED = ["experiment", "experimentarm", "experimentchange", "impression", "outcome"]


def migrate(targets=None):
    """Migrate the test database to `targets` (the latest migrations when None); returns the apps of
    its models as they are then."""
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(targets or latest)
    ContentType.objects.clear_cache()
    apps_now = dict(latest) | {app: name for app, name in targets or ()}
    return executor.loader.project_state([(app, name) for app, name in apps_now.items() if name]).apps


def test_an_upgrade_keeps_the_experiments_rows_their_links_and_the_staffs_permissions():
    user, venue = UserFactory(), VenueFactory()
    analyst = UserFactory(handle="analyst", is_staff=True)
    try:
        old = migrate(BEFORE)
        # As on a database made before the move: the content types and permissions under recommendations.
        OldContentType = old.get_model("contenttypes", "ContentType")
        OldPermission = old.get_model("auth", "Permission")
        OldContentType.objects.filter(app_label="experiments").delete()
        for model in MOVED:
            content_type, _ = OldContentType.objects.get_or_create(app_label="recommendations", model=model)
            for action in ("add", "change", "delete", "view"):
                OldPermission.objects.get_or_create(
                    content_type=content_type,
                    codename=f"{action}_{model}",
                    defaults={"name": f"Can {action} {model}"},
                )
        change_experiment = OldPermission.objects.get(
            content_type__app_label="recommendations", codename="change_experiment"
        )
        old.get_model("users", "User").objects.get(pk=analyst.pk).user_permissions.add(change_experiment)
        moved_content_type = change_experiment.content_type_id

        experiment = old.get_model("recommendations", "Experiment").objects.create(
            name="before-the-move", status="running", started_at=timezone.now()
        )
        arms = old.get_model("recommendations", "ExperimentArm")
        arms.objects.create(experiment=experiment, name="control", ranker="formula", share=50, is_control=True)
        arms.objects.create(experiment=experiment, name="treat", ranker="popularity", share=50)
        old.get_model("recommendations", "ExperimentChange").objects.create(
            experiment=experiment, user_id=analyst.pk, action="start", detail={"arms": {}}
        )
        recommendation_id = uuid.uuid4()
        impression = old.get_model("recommendations", "Impression").objects.create(
            recommendation_id=recommendation_id, user_id=user.pk, venue_id=venue.pk, rank=1, ranker="popularity",
            experiment=experiment, arm="treat", created_at=timezone.now(),
        )  # fmt: skip
        old.get_model("recommendations", "Outcome").objects.create(
            impression=impression, kind="like", sent_by_client=True, created_at=timezone.now()
        )

        migrate()

        tables = set(connection.introspection.table_names())
        assert {f"experiments_{model}" for model in MOVED} <= tables
        assert not {f"recommendations_{model}" for model in MOVED} & tables
        moved = Experiment.objects.get(name="before-the-move")
        assert (moved.pk, moved.status) == (experiment.pk, Experiment.Status.RUNNING)
        assert [(arm.name, arm.ranker, arm.is_control) for arm in moved.arms.all()] == [
            ("control", "formula", True),
            ("treat", "popularity", False),
        ]
        assert ExperimentChange.objects.get(experiment=moved).user == analyst
        shown = Impression.objects.get(recommendation_id=recommendation_id)
        assert (shown.pk, shown.experiment, shown.arm, shown.user, shown.venue) == (
            impression.pk, moved, "treat", user, venue
        )  # fmt: skip
        assert [(outcome.kind, outcome.sent_by_client) for outcome in shown.outcomes.all()] == [("like", True)]

        # New rows take the next ids, and the database checks the kinds and the links.
        later = Impression.objects.create(
            recommendation_id=uuid.uuid4(), user=user, venue=venue, rank=2, ranker="formula",
            experiment=moved, arm="control", created_at=timezone.now(),
        )  # fmt: skip
        assert later.pk > shown.pk
        Outcome.objects.create(impression=later, kind=Outcome.Kind.PLAN, created_at=timezone.now())
        with pytest.raises(IntegrityError), transaction.atomic():
            Outcome.objects.create(impression=later, kind="share", created_at=timezone.now())
        with pytest.raises(IntegrityError), transaction.atomic():
            Outcome.objects.create(impression_id=later.pk + 1000, kind="view", created_at=timezone.now())

        # The grant moved with its content type: the analyst still edits experiments in the admin.
        assert ContentType.objects.get_for_model(Experiment).pk == moved_content_type
        assert not ContentType.objects.filter(app_label="recommendations", model__in=MOVED).exists()
        analyst = User.objects.get(pk=analyst.pk)
        assert analyst.has_perm("experiments.change_experiment")
        assert (
            Permission.objects.filter(content_type__app_label="experiments", codename="change_experiment").count() == 1
        )
        client = Client()
        client.force_login(analyst)
        page = client.get(f"/admin/experiments/experiment/{moved.pk}/change/")
        assert page.status_code == 200
        assert "before-the-move" in page.content.decode()
        assert not analyst.has_perm("experiments.delete_experiment")  # what was not granted stays so
    finally:
        migrate()  # whatever failed, the next tests get the latest schema
