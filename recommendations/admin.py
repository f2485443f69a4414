from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from luna.admin import ModelAdmin, figures_table, list_time
from luna.errors import Conflict
from plans.admin import PlanAdmin
from plans.models import Plan
from recommendations.models import RankerVersion
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
