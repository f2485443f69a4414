"""The admin's Data page (/admin/data/): the demo world, a synthetic world and CSV imports, for staff.

A second front door to `seed` and `import_data` (see world.data_jobs): the forms post to paths a
client can script, and the page shows what the commands print. Superusers, and staff holding
"Can load data" (world.load_data), may use it; anyone else signed in gets 403, anonymous
visitors the admin's login page.
"""

from __future__ import annotations

import shutil
import time
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from luna.api.query import number_error
from luna.errors import Conflict
from world.data_jobs import (
    UPLOAD_KEPT_SECONDS,
    csv_import_start,
    data_job_refusal,
    data_job_running,
    data_job_status,
    data_jobs_fail_stale,
    demo_load,
    synthetic_start,
    upload_folder,
    upload_folder_new,
)
from world.demo import world_counts, world_is_empty
from world.importer import FILE_NAMES
from world.models import DataJob
from world.synthetic import SYNTHETIC_DEFAULTS, synthetic_spec

PERMISSION = "world.load_data"
UPLOAD_FIELDS = tuple(name.removesuffix(".csv") for name in FILE_NAMES)  # users, venues, interactions, edges


def may_load_data(user) -> bool:
    return user.is_active and user.is_staff and user.has_perm(PERMISSION)


def _data_view(view):
    """Anonymous: the admin's login page; signed in without the right: 403."""

    @wraps(view)
    def checked(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not may_load_data(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return never_cache(checked)


def _on(request, name: str, *, default: bool = False) -> bool:
    value = request.POST.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"on", "1", "true", "yes"}


def _page(request, *, status: int = 200, **context) -> TemplateResponse:
    running = data_job_running()
    shown = DataJob.objects.exclude(kind=DataJob.Kind.DEMO).select_related("started_by")
    latest = running or shown.first()
    context = {
        **admin.site.each_context(request),
        "title": "Data",
        "counts": world_counts(),
        "job": data_job_status(latest) if latest else None,
        "running": running,
        "defaults": SYNTHETIC_DEFAULTS,
        "synthetic": {**SYNTHETIC_DEFAULTS, **context.pop("synthetic", {})},
        "upload_fields": UPLOAD_FIELDS,
        "upload_limit": settings.LUNA_DATA_UPLOAD_MAX_BYTES,
        "recent": DataJob.objects.select_related("started_by")[:10],
        **context,
    }
    return TemplateResponse(request, "world/data.html", context, status=status)


def _confirm(request, *, action: str, message: str, fields: dict) -> TemplateResponse:
    """The page that says what replacing would delete, with the form that sends replace=on."""
    confirm = {"action": action, "message": message, "fields": fields, "counts": world_counts()}
    return _page(request, status=409, confirm=confirm)


@require_GET
@_data_view
def data_page(request):
    return _page(request)


@require_POST
@_data_view
def data_demo(request):
    replace = _on(request, "replace")
    try:
        outcome = demo_load(user=request.user, replace=replace)
    except Conflict as error:
        return _page(request, status=409, error=error.message)
    if not outcome.loaded:
        return _confirm(request, action=reverse("admin:world_data_demo"), message=outcome.message, fields={})
    return _page(request, notice=outcome.message, loaded=outcome.counts)


@require_POST
@_data_view
def data_synthetic(request):
    given = {name: request.POST.get(name, "").strip() for name in SYNTHETIC_DEFAULTS}
    replace = _on(request, "replace")
    try:
        numbers = {}
        for name, raw in given.items():
            if not raw:
                continue
            # ASCII digits only, as everywhere (int() would also read '１０').
            if number_error(raw, whole=True):
                raise ValidationError(f"{name.replace('_', ' ')}: '{raw}' is not a whole number.")
            numbers[name] = int(raw)
        spec = synthetic_spec(**numbers)
    except ValidationError as error:
        return _page(request, status=400, error=" ".join(error.messages), synthetic=given)
    if not replace and not world_is_empty():
        return _confirm(
            request,
            action=reverse("admin:world_data_synthetic"),
            message="The database already holds Luna data; generating a synthetic world replaces it.",
            fields={name: value for name, value in vars(spec).items()},
        )
    try:
        job = synthetic_start(user=request.user, spec=spec, replace=replace)
    except Conflict as error:
        return _page(request, status=409, error=error.message, synthetic=given)
    return _job_started(job)


@csrf_exempt  # checked below, once the upload handlers are set (Django reads the body for the token)
@_data_view
def data_import(request):
    if request.method != "POST":
        return HttpResponseRedirect(reverse("admin:world_data"))
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    limit = settings.LUNA_DATA_UPLOAD_MAX_BYTES
    if length > limit:
        # Said before a byte of the body is read.
        return _page(
            request,
            status=413,
            error=f"The upload is {filesizeformat(length)}; the limit is {filesizeformat(limit)} "
            "(LUNA_DATA_UPLOAD_MAX_BYTES). Split the files, or load them with manage.py import_data.",
        )
    # Every file to a temporary file on disk, whatever its size: never the whole upload in memory.
    request.upload_handlers = [TemporaryFileUploadHandler(request)]
    return _data_import_checked(request)


@csrf_protect
def _data_import_checked(request):
    dry_run = _on(request, "dry_run", default=True)
    again = _on(request, "again")
    staged = request.POST.get("staged", "")
    running = data_job_running()
    if running is not None:  # said before any file is kept
        return _page(request, status=409, error=data_job_refusal(running))
    if staged:
        folder = _staged_folder(request, staged)
        if folder is None:  # said on the page: a bare 404 would not say why, nor what to do
            return _page(request, status=404, error=UPLOAD_GONE)
    else:
        uploads = {name: request.FILES[name] for name in UPLOAD_FIELDS if name in request.FILES}
        if not uploads:
            return _page(request, status=400, error=f"Choose at least one file: {', '.join(FILE_NAMES)}.")
        folder = upload_folder_new()
        for name, upload in uploads.items():
            # A temporary file already: moved, not copied (Django's own cleanup then finds it gone).
            shutil.move(upload.temporary_file_path(), folder / f"{name}.csv")
        (folder / ".owner").write_text(str(request.user.pk))
    try:
        job = csv_import_start(user=request.user, folder=folder, dry_run=dry_run, again=again)
    except Conflict as error:  # another load started a moment ago
        if not staged:
            shutil.rmtree(folder, ignore_errors=True)
        return _page(request, status=409, error=error.message)
    return _job_started(job)


def _job_started(job: DataJob) -> HttpResponseRedirect:
    """303 to the page, which shows the job; X-Data-Job names its status URL for scripts."""
    response = HttpResponseRedirect(reverse("admin:world_data") + "#job")
    response.status_code = 303
    response["X-Data-Job"] = reverse("admin:world_data_job", args=[job.pk])
    return response


UPLOAD_GONE = "No such upload: it was imported already, or is more than a day old; upload it again."


def _staged_folder(request, token: str) -> Path | None:
    """The folder of an upload this user dry-ran less than a day ago, by the token its preview page
    carries; None for any other."""
    try:
        folder = upload_folder(token)
        owner = folder / ".owner"
        if owner.read_text() != str(request.user.pk):
            return None
        if time.time() - folder.stat().st_mtime > UPLOAD_KEPT_SECONDS:
            return None  # swept by the next upload anyway
    except (ValueError, OSError):
        return None
    return folder


@require_GET
@_data_view
def data_job(request, job_id: int):
    """A load's progress and outcome as JSON: what the page polls while a synthetic world is generated."""
    data_jobs_fail_stale()  # the job asked for may be one whose process stopped
    job = get_object_or_404(DataJob.objects.select_related("started_by"), pk=job_id)
    return JsonResponse(data_job_status(job))


def urls() -> list:
    return [
        path("data/", data_page, name="world_data"),
        path("data/demo/", data_demo, name="world_data_demo"),
        path("data/synthetic/", data_synthetic, name="world_data_synthetic"),
        path("data/import/", data_import, name="world_data_import"),
        path("data/jobs/<int:job_id>/", data_job, name="world_data_job"),
    ]
