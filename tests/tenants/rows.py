"""Every row an organization owns, as plain data, to compare before and after.

The models are found, not listed: any installed model with a foreign-key path (direct, or
through one other model — a person, a run) to Organization is included, so a model added later
is watched without touching this file. The Google sandbox's models are Google's world, not a
tenant's data, and are left out.
"""

from functools import cache

from django.apps import apps
from django.db import models

from organizations.models import Organization

NOT_TENANT_DATA = {"googlesandbox"}


def _direct_path(model: type[models.Model]) -> str | None:
    # `organization` first: a row that names its organization belongs to it, whatever else it
    # points at (an audit event's acting person, a run's requester).
    fields = sorted(
        (
            f
            for f in model._meta.concrete_fields
            if f.is_relation and (f.many_to_one or f.one_to_one)
        ),
        key=lambda f: f.name != "organization",
    )
    for field in fields:
        if field.related_model is Organization:
            return field.name
    return None


def _path(model: type[models.Model]) -> str | None:
    if model is Organization:
        return "pk"
    direct = _direct_path(model)
    if direct:
        return direct
    for field in model._meta.concrete_fields:
        if field.is_relation and field.related_model not in (None, model):
            inner = _direct_path(field.related_model)
            if inner:
                return f"{field.name}__{inner}"
    return None


@cache
def tenant_models() -> tuple[tuple[type[models.Model], str], ...]:
    """(model, lookup to its organization) of every model that holds tenant data."""
    found = []
    for model in apps.get_models():
        if model._meta.app_label in NOT_TENANT_DATA:
            continue
        path = _path(model)
        if path is not None:
            found.append((model, path))
    return tuple(found)


def organization_rows(organization: Organization) -> dict[str, list[dict]]:
    """Every row of every tenant model that belongs to `organization`, ordered by key."""
    return {
        model._meta.label: list(
            model._default_manager.filter(**{path: organization.pk}).order_by("pk").values()
        )
        for model, path in tenant_models()
    }
