"""An organization's synced state as comparable rows, and the rows where two states differ.

Each table is read whole and keyed by Google's ids (people and groups by their Google id,
memberships by group and member, seats by person); every concrete field is compared except the
database's own keys (replaced by those Google ids) and the moments the run itself stamps (when
a row was written, synced or joined) — two syncs of one directory at different times must agree
on everything else. New fields of these models are compared without a change here.
"""

from django.db import models

# Set by the run at the time it ran, not taken from Google: they differ between two good runs.
RUN_STAMPS = {
    "date_joined",
    "last_login",
    "google_synced_at",
    "synced_at",
    "assigned_at",
    "released_at",
    "inactive_since",
    "waiting_since",
    "updated_at",
    "created_at",
    "password",
}


def _rows(model, organization, key_of, google_ids: dict) -> dict:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    names = [f.attname for f in fields]
    out = {}
    for values in model.objects.filter(organization=organization).values_list("pk", *names):
        row = {}
        for field, value in zip(fields, values[1:], strict=True):
            if field.name in RUN_STAMPS or field.name == "organization":
                continue
            if isinstance(field, models.ForeignKey):
                value = google_ids.get((field.related_model, value), value)
            row[field.name] = value
        out[key_of(values[0], row)] = row
    return out


def state_dump(organization) -> dict[str, dict]:
    from licenses.models import PersonLicense
    from usermanagement.models import Group, GroupMembership, User

    people = dict(User.objects.filter(organization=organization).values_list("pk", "google_id"))
    groups = dict(Group.objects.filter(organization=organization).values_list("pk", "google_id"))
    ids = {(User, pk): gid or f"pk{pk}" for pk, gid in people.items()}
    ids.update({(Group, pk): gid for pk, gid in groups.items()})
    return {
        "people": _rows(User, organization, lambda pk, row: ids[(User, pk)], ids),
        "groups": _rows(Group, organization, lambda pk, row: ids[(Group, pk)], ids),
        "memberships": _rows(
            GroupMembership,
            organization,
            lambda pk, row: (row["group"], row["member_google_id"]),
            ids,
        ),
        "seats": _rows(PersonLicense, organization, lambda pk, row: row["person"], ids),
    }


def state_compare(expected: dict, got: dict, *, examples: int = 5) -> dict:
    """Per table: rows missing, extra and different (with a few examples of each)."""
    report = {"differences": 0, "tables": {}}
    for table, rows in expected.items():
        other = got.get(table, {})
        missing = [k for k in rows if k not in other]
        extra = [k for k in other if k not in rows]
        changed = []
        for key, row in rows.items():
            if key in other and other[key] != row:
                fields = sorted(f for f in row if row[f] != other[key].get(f))
                changed.append({"key": str(key), "fields": fields})
        count = len(missing) + len(extra) + len(changed)
        report["differences"] += count
        report["tables"][table] = {
            "rows": len(rows),
            "missing": len(missing),
            "extra": len(extra),
            "different": len(changed),
            "examples": {
                "missing": [str(k) for k in missing[:examples]],
                "extra": [str(k) for k in extra[:examples]],
                "different": changed[:examples],
            },
        }
    return report
