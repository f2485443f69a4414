"""Help texts and descriptions on pages people read (the admin's forms, the browsable API) show no
Markdown backticks as they are."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.urls import reverse

from experiments.models import Experiment, ExperimentArm

pytestmark = pytest.mark.django_db

BROWSER = "text/html,application/xhtml+xml,*/*;q=0.8"
# The admin's help (<div class="help">) and the browsable API's (<span class="help-block">).
HELP = re.compile(r'<(?:div class="help"[^>]*|span class="help-block")>(.*?)</(?:div|span)>', re.DOTALL)


def help_texts(page: bytes) -> list[str]:
    return [re.sub(r"<[^>]+>", "", text).strip() for text in HELP.findall(page.decode())]


def test_no_admin_form_shows_a_help_text_in_backticks(client, boss):
    experiment = Experiment.objects.create(name="first-test")
    ExperimentArm.objects.create(experiment=experiment, name="a", ranker="formula", is_control=True)
    client.force_login(boss)
    shown = []
    for model in admin.site._registry:
        opts = model._meta
        shown += help_texts(client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).content)
    shown += help_texts(client.get(reverse("admin:experiments_experiment_change", args=[experiment.pk])).content)
    assert any("experiment_report" in text for text in shown)
    assert [text for text in shown if "`" in text] == []


def test_the_browsable_api_shows_code_in_a_description_as_code_not_in_backticks(client, boss):
    client.force_login(boss)
    page = client.get("/social/edges/", HTTP_ACCEPT=BROWSER).content.decode()
    description = page[page.index('<div class="pull-left">') :].split("</div>")[0]
    assert "<code>user_id</code>" in description
    assert "`" not in description


@pytest.fixture
def boss(django_user_model):
    return django_user_model.objects.create_superuser(handle="boss", name="The Boss", password="a long passphrase")
