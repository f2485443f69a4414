"""Trained versions in the admin: their figures as tables, the served one kept, the export as JSON."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from recommendations.models import RankerVersion
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("admin:recommendations_rankerversion_changelist")


@pytest.fixture
def boss(client):
    client.force_login(UserFactory(handle="boss", is_staff=True, is_superuser=True))
    return client


def version(number: int, *, active: bool = False) -> RankerVersion:
    return RankerVersion.objects.create(
        version=number,
        is_active=active,
        trained_on={"users": 29, "venues": 20, "edges": 552},
        parameters={"seed": 0, "holdout_fraction": 0.25, "signals": {"bm25": {"k1": 100.0, "b": 0.8}}},
        metrics={
            "learned": {"precision": 0.0875, "recall": 0.3125, "users": 16},
            "formula": {"precision": 0.0625, "recall": 0.25, "users": 16},
            "gate": {"passed": True, "min_lift": 0.05},
        },
        artifact=b"a model",
        artifact_bytes=7,
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_a_versions_page_shows_its_figures_as_tables_whatever_their_keys(boss):
    served = version(2, active=True)

    page = boss.get(reverse("admin:recommendations_rankerversion_change", args=[served.pk])).content.decode()

    assert "{&#x27;" not in page and '{"' not in page  # no raw dict, repr or JSON
    assert page.count('<table class="figures">') == 3  # trained on, metrics, parameters
    assert '<th style="padding-left: 0.5em">users</th><td>29</td>' in page
    assert '<th colspan="2" style="padding-left: 0.5em">gate</th>' in page  # a key no list names
    assert '<th style="padding-left: 2.0em">min_lift</th><td>0.05</td>' in page  # nested under it
    assert '<th colspan="2" style="padding-left: 2.0em">bm25</th>' in page  # two levels down
    assert '<th style="padding-left: 3.5em">k1</th><td>100</td>' in page


def test_the_served_version_has_no_delete_button_and_its_delete_page_refuses(boss):
    served = version(2, active=True)
    change = reverse("admin:recommendations_rankerversion_change", args=[served.pk])
    delete = reverse("admin:recommendations_rankerversion_delete", args=[served.pk])

    assert delete not in boss.get(change).content.decode()
    for response in (boss.get(delete), boss.post(delete, {"post": "yes"})):
        assert response.status_code == 302
        assert response["Location"] == change
        assert "v2 is being served and cannot be deleted" in " ".join(messages_of(response))
    assert RankerVersion.objects.filter(pk=served.pk, is_active=True).exists()


def test_the_bulk_delete_refuses_a_selection_holding_the_served_version(boss):
    served, older = version(2, active=True), version(1)

    response = boss.post(
        LIST, {"action": "delete_selected", "post": "yes", "_selected_action": [str(served.pk), str(older.pk)]}
    )

    assert response.status_code == 302
    assert "serve another version or the formula first" in " ".join(messages_of(response))
    assert RankerVersion.objects.count() == 2


def test_a_version_no_longer_served_can_be_deleted(boss):
    version(2, active=True)
    older = version(1)

    page = boss.get(reverse("admin:recommendations_rankerversion_change", args=[older.pk])).content.decode()
    assert reverse("admin:recommendations_rankerversion_delete", args=[older.pk]) in page
    response = boss.post(LIST, {"action": "delete_selected", "post": "yes", "_selected_action": [str(older.pk)]})

    assert response.status_code == 302
    assert list(RankerVersion.objects.values_list("version", flat=True)) == [2]


def test_the_export_writes_json_fields_as_json(boss):
    served = version(2, active=True)

    response = boss.post(LIST, {"action": "export_as_csv", "_selected_action": [str(served.pk)], "select_across": "0"})

    header, row = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    cells = dict(zip(header, row, strict=True))
    assert json.loads(cells["trained_on"]) == served.trained_on
    assert json.loads(cells["metrics"]) == served.metrics
    assert json.loads(cells["parameters"]) == served.parameters
