"""The experiments' admin: arms and shares, start and stop (audited), and each experiment's report."""

from __future__ import annotations

import base64

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse

from experiments.models import Experiment, ExperimentArm, ExperimentChange
from experiments.report import arm_figures, cumulative_click_through, plot_png, verdict
from experiments.services import (
    ExperimentError,
    arms_detail,
    experiment_record_change,
    experiment_start,
    experiment_stop,
)
from luna.admin import ModelAdmin, list_time


class ExperimentArmFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        arms = [form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]

        def value(form, name):  # a read-only field (a started experiment's) keeps the stored value
            return form.cleaned_data.get(name) if name in form.fields else getattr(form.instance, name)

        if sum(bool(value(form, "is_control")) for form in arms) != 1:
            raise ValidationError("Exactly one arm must be the control.")
        if arms and sum(value(form, "share") or 0 for form in arms) <= 0:
            raise ValidationError("At least one arm needs a traffic share above 0.")


class ExperimentArmInline(admin.TabularInline):
    model = ExperimentArm
    formset = ExperimentArmFormSet
    extra = 0
    min_num = 2
    fields = ("name", "ranker", "model_version", "share", "is_control")

    def has_delete_permission(self, request, obj=None) -> bool:
        # Arms of a started experiment stay as they are: their impressions name them, and adding or
        # removing one would move users between arms. Only the shares change (audited).
        return obj is None or obj.status == Experiment.Status.DRAFT

    def has_add_permission(self, request, obj=None) -> bool:
        return obj is None or obj.status == Experiment.Status.DRAFT

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != Experiment.Status.DRAFT:
            return ("name", "ranker", "model_version", "is_control")
        return ()


class ExperimentChangeInline(admin.TabularInline):
    model = ExperimentChange
    extra = 0
    fields = ("created_at", "user", "action", "detail")
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = "audit trail (who started, stopped or changed the arms)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")  # each row names its admin by handle

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Experiment)
class ExperimentAdmin(ModelAdmin):
    """A/B experiments between rankers: arms and shares, start/stop (audited), and the report."""

    list_display = (
        "name",
        "status",
        "arm_list",
        list_time("started_at", "started"),
        list_time("stopped_at", "stopped"),
        "impression_count",
    )
    list_filter = ("status",)
    search_fields = ("name",)
    fields = ("name", "description", "status", "created_at", "started_at", "stopped_at")
    readonly_fields = ("status", "created_at", "started_at", "stopped_at")
    inlines = (ExperimentArmInline, ExperimentChangeInline)
    change_form_template = "admin/experiments/experiment/change_form.html"

    @admin.display(description="arms")
    def arm_list(self, experiment: Experiment) -> str:
        return "; ".join(str(arm) for arm in experiment.arms.all())

    @admin.display(description="impressions", ordering="impression_count")
    def impression_count(self, experiment: Experiment) -> int:
        return experiment.impression_count

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("arms").annotate(impression_count=Count("impressions"))

    def has_delete_permission(self, request, obj=None) -> bool:
        # A started experiment stays, with its audit trail; only drafts can be deleted.
        if obj is not None and obj.status != Experiment.Status.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # it would delete started experiments too
        return actions

    def get_urls(self):
        return [
            self.button_url("start", self._start_view),
            self.button_url("stop", self._stop_view),
            *super().get_urls(),
        ]

    def _act(self, request, object_id: str, act, done: str) -> HttpResponseRedirect:
        experiment = self.get_object(request, object_id)
        if experiment is None or not self.has_change_permission(request, experiment):
            raise Http404("No such experiment.")
        try:
            act(experiment=experiment, by=request.user)
        except ExperimentError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, done.format(name=experiment.name), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:experiments_experiment_change", args=[experiment.pk]))

    def _start_view(self, request, object_id: str):
        return self._act(request, object_id, experiment_start, "{name} is running: users are split from now on.")

    def _stop_view(self, request, object_id: str):
        return self._act(request, object_id, experiment_stop, "{name} is stopped: everyone gets the default ranker.")

    def save_related(self, request, form, formsets, change) -> None:
        before = arms_detail(form.instance) if change else {"arms": {}}
        super().save_related(request, form, formsets, change)
        if change:
            experiment_record_change(experiment=form.instance, by=request.user, before=before)

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["can_start"] = obj is not None and obj.status == Experiment.Status.DRAFT
        context["can_stop"] = obj is not None and obj.status == Experiment.Status.RUNNING
        context["report"] = experiment_report_context(obj) if obj is not None else None
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)


def experiment_report_context(experiment: Experiment) -> dict:
    """The report as the admin page shows it: the figures as text, the chart as an inline PNG."""
    arms = arm_figures(experiment)
    series = cumulative_click_through(experiment)
    chart = plot_png(series, f"{experiment.name}: cumulative click-through") if series else b""
    return {
        "arms": arms,  # the template prints each one's *_text figures
        "verdict": verdict(arms),
        "min_users": settings.LUNA_EXPERIMENT_MIN_USERS,
        "chart": base64.b64encode(chart).decode(),
    }
