from __future__ import annotations

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from luna.admin import ModelAdmin
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

    list_display = (
        "version",
        "ranker",
        "is_active",
        "created_at",
        "users",
        "interactions",
        "precision_at_10",
        "formula_precision_at_10",
        "recall_at_10",
        "training_seconds",
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
        "trained_on",
        "metrics",
        "parameters",
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
            group = suggest_plan_venues(plan=plan, limit=SUGGESTIONS_SHOWN)
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
