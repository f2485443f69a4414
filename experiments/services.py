"""Changing an experiment: start, stop and re-weight it, each audited (the admin does it through these)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from experiments.assignment import experiments_changed
from experiments.models import Experiment, ExperimentArm, ExperimentChange


class ExperimentError(ValueError):
    pass


def _arms_problem(experiment: Experiment) -> str | None:
    arms = list(experiment.arms.all())
    if len(arms) < 2:
        return "An experiment needs at least two arms."
    if sum(arm.share for arm in arms) <= 0:
        return "At least one arm needs a traffic share above 0."
    if sum(arm.is_control for arm in arms) != 1:
        return "Exactly one arm must be the control."
    if not next(arm for arm in arms if arm.is_control).share:
        return "The control needs a traffic share above 0."
    if sum(arm.share > 0 for arm in arms) < 2:
        return "At least two arms need a traffic share above 0."
    return None


def _locked_when(experiment: Experiment, status: str, to_be: str) -> Experiment:
    """The experiment read again under its lock, if it is in `status`; else why it cannot `to_be` (the verb)."""
    experiment = Experiment.objects.select_for_update().get(pk=experiment.pk)
    if experiment.status != status:
        raise ExperimentError(f"Only a {status} experiment can be {to_be}; {experiment.name} is {experiment.status}.")
    return experiment


def _changed(experiment: Experiment, by, action: str, detail: dict) -> None:
    """Audit a change and, once it is committed, tell every process the running experiment changed."""
    ExperimentChange.objects.create(experiment=experiment, user=by, action=action, detail=detail)
    transaction.on_commit(experiments_changed)


@transaction.atomic
def experiment_start(*, experiment: Experiment, by) -> Experiment:
    """Start a draft experiment (stop it to end it; a stopped one is not started again)."""
    experiment = _locked_when(experiment, Experiment.Status.DRAFT, "started")
    problem = _arms_problem(experiment)
    if problem:
        raise ExperimentError(problem)
    running = Experiment.objects.filter(status=Experiment.Status.RUNNING).exclude(pk=experiment.pk).first()
    if running is not None:
        raise ExperimentError(f"{running.name} is running; stop it first (one experiment at a time).")
    experiment.status, experiment.started_at = Experiment.Status.RUNNING, timezone.now()
    try:
        with transaction.atomic():
            experiment.save(update_fields=["status", "started_at"])
    except IntegrityError:  # another one was started at the same moment
        raise ExperimentError("Another experiment was started meanwhile; stop it first (one at a time).") from None
    _changed(experiment, by, "start", arms_detail(experiment))
    return experiment


@transaction.atomic
def experiment_stop(*, experiment: Experiment, by) -> Experiment:
    experiment = _locked_when(experiment, Experiment.Status.RUNNING, "stopped")
    experiment.status, experiment.stopped_at = Experiment.Status.STOPPED, timezone.now()
    experiment.save(update_fields=["status", "stopped_at"])
    _changed(experiment, by, "stop", {})
    return experiment


def arms_detail(experiment: Experiment) -> dict:
    """The arms as stored now (read fresh: a prefetched list would not see a form's changes)."""
    return {
        "arms": {
            arm.name: {"ranker": arm.ranker, "model_version": arm.model_version, "share": arm.share,
                       "control": arm.is_control}
            for arm in ExperimentArm.objects.filter(experiment=experiment).order_by("name")
        }
    }  # fmt: skip


def experiment_record_change(*, experiment: Experiment, by, before: dict) -> None:
    """Audit a change of the arms (shares, rankers) if there was one."""
    after = arms_detail(experiment)
    if after != before:
        ExperimentChange.objects.create(
            experiment=experiment, user=by, action="arms", detail={"before": before["arms"], "after": after["arms"]}
        )
    transaction.on_commit(experiments_changed)
