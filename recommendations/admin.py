from __future__ import annotations

import base64

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from luna.admin import ModelAdmin, figures_table, list_time
from luna.errors import Conflict
from plans.admin import PlanAdmin
from plans.models import Plan
from recommendations.experiments import (
    ExperimentError,
    arm_figures,
    arms_detail,
    cumulative_click_through,
    experiment_record_change,
    experiment_start,
    experiment_stop,
    plot_png,
    verdict,
)
from recommendations.models import Experiment, ExperimentArm, ExperimentChange, RankerVersion
from recommendations.plan_suggestions import suggest_plan_venues
from recommendations.training import ranker_activate, ranker_deactivate


def _figure(version: RankerVersion, ranker: str, name: str) -> str:
    value = version.metrics.get(ranker, {}).get(name)
    return "-" if value is None else f"{value:.4f}"


@admin.register(RankerVersion)
class RankerVersionAdmin(ModelAdmin):
    """Trained models: what each was trained on and how it did; serve one (an older one is a rollback)."""

    # The figures to compare versions by; every figure is on the version's page.
    list_display = (
        "version",
        "is_active",
        list_time("created_at", "trained"),
        "users",
        "precision_at_10",
        "formula_precision_at_10",
        "recall_at_10",
        "passed",
        "size_mib",
    )
    list_filter = ("is_active", "ranker")
    ordering = ("-version",)
    actions = ("activate", "serve_the_formula")
    fields = (
        "version",
        "ranker",
        "is_active",
        "created_at",
        "activated_at",
        "trained_on_table",
        "metrics_table",
        "parameters_table",
        "training_seconds",
        "artifact_bytes",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("artifact")

    def has_add_permission(self, request) -> bool:
        return False  # versions come from `manage.py train_ranker`

    def has_change_permission(self, request, obj=None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    @admin.display(description="trained on")
    def trained_on_table(self, version: RankerVersion):
        return figures_table(version.trained_on)

    @admin.display(description="metrics")
    def metrics_table(self, version: RankerVersion):
        return figures_table(version.metrics)

    @admin.display(description="parameters")
    def parameters_table(self, version: RankerVersion):
        return figures_table(version.parameters)

    # The active version is what every process serves: deleting it would silently fall back to the
    # formula. Serving another version or the formula first (the list's actions) makes it deletable.
    def has_delete_permission(self, request, obj=None) -> bool:
        return not (obj is not None and obj.is_active) and super().has_delete_permission(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        version = self.get_object(request, object_id)
        if version is not None and version.is_active:
            self.message_user(request, served_message([version]), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:recommendations_rankerversion_change", args=[version.pk]))
        return super().delete_view(request, object_id, extra_context)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            actions["delete_selected"] = (self.delete_unserved, *actions["delete_selected"][1:])
        return actions

    def delete_unserved(self, modeladmin, request, queryset):
        served = list(queryset.filter(is_active=True))
        if served:
            self.message_user(request, served_message(served), messages.ERROR)
            return None
        return delete_selected(modeladmin, request, queryset)

    @admin.display(description="users")
    def users(self, version: RankerVersion) -> int:
        return version.trained_on.get("users", 0)

    @admin.display(description="positive interactions")
    def interactions(self, version: RankerVersion) -> int:
        return version.trained_on.get("positive_interactions", 0)

    @admin.display(description="P@10")
    def precision_at_10(self, version: RankerVersion) -> str:
        return _figure(version, "learned", "precision")

    @admin.display(description="formula P@10")
    def formula_precision_at_10(self, version: RankerVersion) -> str:
        return _figure(version, "formula", "precision")

    @admin.display(description="gate", boolean=True)
    def passed(self, version: RankerVersion) -> bool | None:
        # metrics["gate"]: the validation against the served ranker (None before the gate existed).
        gate = version.metrics.get("gate")
        return None if gate is None else gate["passed"]

    @admin.display(description="R@10")
    def recall_at_10(self, version: RankerVersion) -> str:
        return _figure(version, "learned", "recall")

    @admin.display(description="MiB")
    def size_mib(self, version: RankerVersion) -> str:
        return f"{version.artifact_bytes / 2**20:.1f}"

    @admin.action(description="Serve the selected version (one)")
    def activate(self, request, queryset) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to serve.", messages.WARNING)
            return
        version = ranker_activate(version=queryset.get())
        self.message_user(request, f"{version} is served from the next request on.", messages.SUCCESS)

    @admin.action(description="Serve the formula instead of any trained model")
    def serve_the_formula(self, request, queryset) -> None:
        ranker_deactivate()
        self.message_user(request, "The formula is served from the next request on.", messages.SUCCESS)


def served_message(versions: list[RankerVersion]) -> str:
    names = ", ".join(f"v{version.version}" for version in versions)
    return (
        f"{names} is being served and cannot be deleted: serve another version or the formula first "
        "(the actions of the ranker versions list), then delete it."
    )


SUGGESTIONS_SHOWN = 5


class PlanWithSuggestionsAdmin(PlanAdmin):
    """The plan page, plus the venues suggested for its group (read-only): recommendations extend the
    plans admin here, as plans know nothing of recommendations."""

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "group_suggestions")

    @admin.display(description="Suggested for the group")
    def group_suggestions(self, plan: Plan) -> str:
        if plan is None or plan.pk is None:
            return "-"
        try:
            # Only staff reach the admin: every member's figures (viewer=None).
            group = suggest_plan_venues(plan=plan, viewer=None, limit=SUGGESTIONS_SHOWN)
        except Conflict as exc:
            return exc.message
        handles = [member.handle for member in group.members]
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td>{}</tr>",
            (
                (
                    row.venue_name,
                    row.category or "-",
                    f"{row.score:.4f}",
                    format_html_join("", "<td>{}</td>", ((f"{member.score:.4f}",) for member in row.members)),
                )
                for row in group.suggestions
            ),
        )
        head = format_html_join("", "<th>{}</th>", ((handle,) for handle in handles))
        model = f" v{group.model_version}" if group.model_version else ""
        return format_html(
            "<p>{} ({}{}), for {}:</p><table><thead><tr><th>venue</th><th>category</th><th>group</th>{}</tr>"
            "</thead><tbody>{}</tbody></table>",
            group.strategy,
            group.ranker,
            model,
            ", ".join(handles),
            head,
            rows,
        )


admin.site.unregister(Plan)
admin.site.register(Plan, PlanWithSuggestionsAdmin)


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
    change_form_template = "admin/recommendations/experiment/change_form.html"

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
        def button(name: str, view):
            return path(
                f"<path:object_id>/{name}/",
                self.admin_site.admin_view(require_POST(view)),
                name=f"recommendations_experiment_{name}",
            )

        return [button("start", self._start_view), button("stop", self._stop_view), *super().get_urls()]

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
        return HttpResponseRedirect(reverse("admin:recommendations_experiment_change", args=[experiment.pk]))

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
