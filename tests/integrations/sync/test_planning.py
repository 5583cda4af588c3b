"""The planner alone: pure functions, no database, no Google."""

from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.sync import planning
from integrations.sync.planning import LocalUser, RemoteMember, RemoteUser


def remote(google_id, email, state="active", etag=None, **fields):
    values = dict.fromkeys(planning.USER_FIELDS, "")
    values.update(email=email, aliases=[], google_is_admin=False, google_archived=False)
    values.update(google_created_at=None, google_last_login_at=None, **fields)
    return RemoteUser(
        google_id,
        etag or f"e-{google_id}-{email}-{state}-{sorted(fields.items())}",
        email,
        state,
        values,
    )


def local_of(r: RemoteUser, pk: int, status="active") -> LocalUser:
    return LocalUser(pk, r.google_id, r.etag, r.state, status, r.email, False, dict(r.fields))


def test_unchanged_etag_and_state_means_no_write():
    r = remote("1", "a@x.example")
    assert not planning.user_step(r, local_of(r, 1)).writes


def test_suspension_is_a_deactivation_and_deletion_an_archival():
    r = remote("1", "a@x.example")
    local = local_of(r, 1)
    step = planning.user_step(remote("1", "a@x.example", "suspended"), local)
    assert step.transition.kind == planning.DEACTIVATE
    step = planning.user_step(remote("1", "a@x.example", "deleted"), local)
    assert step.transition.kind == planning.ARCHIVE


def test_undelete_restores():
    r = remote("1", "a@x.example", "deleted")
    step = planning.user_step(remote("1", "a@x.example"), local_of(r, 1, status="archived"))
    assert (step.transition.kind, step.transition.new_status) == (planning.RESTORE, "active")


def test_adoption_only_of_an_unbound_account():
    r = remote("1", "a@x.example")
    unbound = LocalUser(7, None, "", "", "active", "a@x.example", True, {})
    step = planning.user_step(r, None, adoptable=unbound)
    assert step.kind == planning.ADOPT and step.local.pk == 7


def test_deleted_unknown_people_are_not_created():
    assert planning.user_step(remote("1", "a@x.example", "deleted"), None).kind == "ignore"


def test_missing_people_are_archived_once():
    r = remote("1", "a@x.example")
    local = local_of(r, 1)
    [(_who, step)] = planning.missing_transitions([local], seen=set())
    assert step.kind == planning.ARCHIVE and step.to_state == planning.MISSING
    archived = LocalUser(1, "1", "e", planning.MISSING, "archived", "a@x.example")
    assert planning.missing_transitions([archived], seen=set()) == []


def test_threshold_rule():
    assert planning.removal_threshold(active_people=10) == 10
    assert planning.removal_threshold(active_people=1000) == 200
    assert planning.removal_threshold(active_people=100_000) == 500
    assert planning.removal_threshold(active_people=1000, override=3) == 3


def test_last_admin_is_kept():
    admin = LocalUser(1, "1", "e", "active", "active", "a@x.example", True)
    step = planning.Transition(planning.DEACTIVATE, "active", "suspended", "deactivated")
    assert planning.last_admin_keep([(admin, step)], active_admins=1, prefer_pk=None) == {1}
    assert planning.last_admin_keep([(admin, step)], active_admins=2, prefer_pk=None) == set()


def test_scope():
    assert planning.in_scope("/Sales/East", included=[], excluded=[])
    assert planning.in_scope("/Sales/East", included=["/Sales"], excluded=[])
    assert not planning.in_scope("/Eng", included=["/Sales"], excluded=[])
    assert not planning.in_scope("/Sales/East", included=["/Sales"], excluded=["/Sales/East"])


def test_flatten_follows_nesting_and_survives_cycles():
    u = lambda i: RemoteMember(i, "user", f"{i}@x", "member")  # noqa: E731
    g = lambda i: RemoteMember(i, "group", f"{i}@x", "member")  # noqa: E731
    direct = {"A": [u("1"), g("B")], "B": [u("2"), g("C")], "C": [u("3"), g("A")]}
    flat = planning.flatten(direct)
    assert {m.member_google_id for m in flat["A"]} == {"2", "3"}
    assert {m.member_google_id for m in flat["C"]} == {"1", "2"}


# --- property: applying the plan reaches the remote directory ----------------------------------

states = st.sampled_from(["active", "suspended", "deleted"])
person = st.tuples(st.integers(0, 30), states, st.sampled_from(["", "CTO", "Dev"]))


def apply_in_memory(local: dict[str, LocalUser], remotes: list[RemoteUser]) -> dict:
    """A minimal in-memory applier of the planner's decisions (what apply.py does in SQL)."""
    result = dict(local)
    seen = set()
    next_pk = max([v.pk for v in local.values()], default=0) + 1
    for r in remotes:
        seen.add(r.google_id)
        step = planning.user_step(r, result.get(r.google_id))
        if step.kind == planning.CREATE:
            status = planning.STATUS_FOR_STATE[r.state]
            result[r.google_id] = LocalUser(
                next_pk, r.google_id, r.etag, r.state, status, r.email, False, dict(r.fields)
            )
            next_pk += 1
            continue
        if step.kind == "ignore" or step.local is None:
            continue
        current = result[r.google_id]
        fields = dict(current.fields or {})
        fields.update({name: new for name, (_old, new) in step.diff.items()})
        status, google_state = current.status, current.google_state
        if step.transition is not None:
            google_state = step.transition.to_state
            if step.transition.new_status is not None:
                status = step.transition.new_status
        result[r.google_id] = LocalUser(
            current.pk, r.google_id, r.etag, google_state, status, r.email, False, fields
        )
    for who, step in planning.missing_transitions(result.values(), seen):
        result[who.google_id] = LocalUser(
            who.pk,
            who.google_id,
            who.etag,
            step.to_state,
            step.new_status or who.status,
            who.email,
            False,
            who.fields,
        )
    return result


def directory(people) -> list[RemoteUser]:
    unique = {}
    for number, state, title in people:
        unique[str(number)] = remote(str(number), f"p{number}@x.example", state, title=title)
    return list(unique.values())


@settings(max_examples=200, deadline=None)
@given(st.lists(person, max_size=25), st.lists(person, max_size=25))
def test_apply_of_plan_reaches_remote(before, after):
    local = apply_in_memory({}, directory(before))
    remotes = directory(after)
    reached = apply_in_memory(local, remotes)
    by_id = {r.google_id: r for r in remotes}
    for google_id, person_now in reached.items():
        r = by_id.get(google_id)
        if r is None:
            assert person_now.status == "archived"
            continue
        if r.state == "deleted" and google_id not in local:
            continue
        assert person_now.google_state == r.state
        assert person_now.status == planning.STATUS_FOR_STATE[r.state]
        assert person_now.fields["title"] == r.fields["title"]
        assert person_now.etag == r.etag
    # and a second plan against the reached state is empty
    for r in remotes:
        assert not planning.user_step(r, reached.get(r.google_id)).writes or (
            r.state == "deleted" and r.google_id not in reached
        )
