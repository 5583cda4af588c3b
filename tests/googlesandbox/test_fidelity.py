"""Fidelity: every answer the sandbox gives to the calls Hearth makes fits Google's schema.

Each response, fetched through the real google-api-python-client over HTTP, is checked against
the discovery documents bundled with that client (admin.directory_v1.json, admin.reports_v1.json):
every field name must exist in the method's response schema, with the schema's type (int64 and
other formatted numbers travel as strings, as Google sends them). The documented errors are
asserted exactly: status, body, reason, and the headers Google sends with them.
"""

import json
from pathlib import Path

import googleapiclient
import pytest
import requests
from google.auth.transport.requests import Request
from googleapiclient.errors import HttpError

ADMIN = "admin@acme.example"
DOCUMENTS = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"
DIRECTORY = json.loads((DOCUMENTS / "admin.directory_v1.json").read_text())
REPORTS = json.loads((DOCUMENTS / "admin.reports_v1.json").read_text())
FORMATTED_AS_STRING = {"int64", "uint64", "date-time", "google-datetime", "byte"}


def schema_errors(value, schema: dict, document: dict, path: str = "$") -> list[str]:
    """Where `value` leaves `schema` (field names and types), as readable paths."""
    if "$ref" in schema:
        schema = document["schemas"][schema["$ref"]]
    kind = schema.get("type")
    problems = []
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{path}: expected an object, got {type(value).__name__}"]
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for name, item in value.items():
            if name in properties:
                problems += schema_errors(item, properties[name], document, f"{path}.{name}")
            elif extra:
                problems += schema_errors(item, extra, document, f"{path}.{name}")
            else:
                problems.append(f"{path}.{name}: not in the schema")
    elif kind == "array":
        if not isinstance(value, list):
            return [f"{path}: expected an array"]
        for index, item in enumerate(value):
            problems += schema_errors(item, schema.get("items", {}), document, f"{path}[{index}]")
    elif kind == "string":
        if not isinstance(value, str):
            problems.append(f"{path}: expected a string, got {value!r}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            problems.append(f"{path}: expected a boolean, got {value!r}")
    elif kind == "integer":
        if schema.get("format") in FORMATTED_AS_STRING:
            if not (isinstance(value, str) and value.lstrip("-").isdigit()):
                problems.append(f"{path}: expected an integer string, got {value!r}")
        elif not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{path}: expected an integer, got {value!r}")
    elif kind == "number" and (not isinstance(value, int | float) or isinstance(value, bool)):
        problems.append(f"{path}: expected a number, got {value!r}")
    return problems


def response_schema(document: dict, resource: str, method: str) -> dict:
    return document["resources"][resource]["methods"][method]["response"]


@pytest.fixture
def world(google_sandbox, push_receiver):
    """A directory with every shape Hearth meets: aliases, a domain alias, a secondary domain,
    suspended, deleted and renamed people, nested groups, outside members, admin activity."""
    google_sandbox.seed(users=40, groups=4, members_per_group=6, secondary_domains=1,
                        domain_aliases=1)
    ops = google_sandbox.ops
    ops.user_add(email="ann@acme.example", title="Engineer", department="R&D",
                 phone="+1 555 0101", manager_email=ADMIN, org_unit_path="/Engineering")
    ops.user_rename(email="ann@acme.example", new_email="ann.lee@acme.example")
    ops.user_add(email="sus@acme.example")
    ops.user_suspend(email="sus@acme.example")
    ops.user_add(email="gone@acme.example")
    ops.user_delete(email="gone@acme.example")
    ops.member_add(group_email="engineering@acme.example", member_email="ext@partner.example")
    ops.member_add(group_email="engineering@acme.example", member_email="customer")
    google_sandbox.logins(percent=20, seed=1)
    google_sandbox.clock_travel(10)  # past the search and Reports lags
    return google_sandbox


def _check(document, resource, method, answer):
    assert schema_errors(answer, response_schema(document, resource, method), document) == []


def test_directory_answers_fit_the_discovery_schemas(world, push_receiver):
    directory = world.directory(ADMIN)
    users = directory.users()
    for params in (
        {"customer": "my_customer", "maxResults": 500, "orderBy": "email", "projection": "full"},
        {"customer": "my_customer", "showDeleted": True},
        {"customer": "my_customer", "query": "email:ann*"},
        {"domain": "acme-sub1.example"},
    ):
        answer = users.list(**params).execute()
        assert answer.get("users") and answer["kind"] == "admin#directory#users"
        _check(DIRECTORY, "users", "list", answer)
    _check(DIRECTORY, "users", "get", users.get(userKey="ann.lee@acme.example").execute())
    _check(DIRECTORY, "users", "get", users.get(userKey="sus@acme.example").execute())

    groups = directory.groups().list(customer="my_customer").execute()
    _check(DIRECTORY, "groups", "list", groups)
    _check(DIRECTORY, "groups", "get",
           directory.groups().get(groupKey="engineering@acme.example").execute())
    for derived in (False, True):
        members = directory.members().list(
            groupKey="engineering@acme.example", includeDerivedMembership=derived
        ).execute()
        assert members["members"]
        _check(DIRECTORY, "members", "list", members)
    _check(DIRECTORY, "orgunits", "list",
           directory.orgunits().list(customerId="my_customer", type="all").execute())
    _check(DIRECTORY, "customers", "get",
           directory.customers().get(customerKey="my_customer").execute())

    channel = users.watch(
        customer="my_customer", event="update",
        body={"id": "fidelity", "type": "web_hook", "address": push_receiver.url,
              "token": "t", "params": {"ttl": "3600"}},
    ).execute()
    _check(DIRECTORY, "users", "watch", channel)
    push_receiver.wait_for(1)
    world.ops.user_update(email="ann.lee@acme.example", given_name="Annie")
    push = push_receiver.wait_for(2)[1]
    # the push body is a (partial) User resource
    assert schema_errors(push.json(), {"$ref": "User"}, DIRECTORY) == []
    assert directory.channels().stop(
        body={"id": "fidelity", "resourceId": channel["resourceId"]}
    ).execute() == ""


def test_reports_answers_fit_the_discovery_schemas(world, push_receiver):
    reports = world.reports(ADMIN)
    answer = reports.activities().list(userKey="all", applicationName="admin").execute()
    assert answer["items"]
    _check(REPORTS, "activities", "list", answer)
    channel = reports.activities().watch(
        userKey="all", applicationName="admin",
        body={"id": "feed", "type": "web_hook", "address": push_receiver.url},
    ).execute()
    _check(REPORTS, "activities", "watch", channel)
    push_receiver.wait_for(1)
    world.ops.group_add(email="fresh@acme.example")
    push = push_receiver.wait_for(2)[1]
    assert schema_errors(push.json(), {"$ref": "Activity"}, REPORTS) == []
    assert reports.channels().stop(
        body={"id": "feed", "resourceId": channel["resourceId"]}
    ).execute() == ""


def test_the_token_answer_is_googles(world):
    credentials = world.credentials(ADMIN)
    credentials.refresh(Request())
    assert credentials.token.startswith("ya29.")
    info = json.loads(world.key_file.read_text())
    import time

    import jwt

    now = int(time.time())
    assertion = jwt.encode(
        {"iss": info["client_email"], "sub": ADMIN, "aud": "https://oauth2.googleapis.com/token",
         "scope": " ".join(world.ops.hearth_scopes()), "iat": now, "exp": now + 3600},
        info["private_key"], algorithm="RS256", headers={"kid": info["private_key_id"]},
    )
    answer = requests.post(
        world.token_uri,
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
              "assertion": assertion},
        timeout=10,
    )
    body = answer.json()
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert set(body) == {"access_token", "expires_in", "token_type"}
    assert (body["expires_in"], body["token_type"]) == (3599, "Bearer")


def _google_error(code, message, reason, status, domain="global", **detail):
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason, **detail}],
            "status": status,
        }
    }


def test_documented_errors_are_exact(world):
    directory = world.directory(ADMIN)
    cases = []
    with pytest.raises(HttpError) as caught:
        directory.users().get(userKey="nobody@acme.example").execute()
    cases.append((caught.value, 404, _google_error(
        404, "Resource Not Found: userKey", "notFound", "NOT_FOUND")))
    with pytest.raises(HttpError) as caught:
        directory.users().list(customer="C0other").execute()
    cases.append((caught.value, 403, _google_error(
        403, "Not Authorized to access this resource/api", "forbidden", "PERMISSION_DENIED")))
    with pytest.raises(HttpError) as caught:
        directory.users().list(customer="my_customer", pageToken="garbage").execute()
    cases.append((caught.value, 400, _google_error(
        400, "Invalid Input: pageToken", "invalid", "INVALID_ARGUMENT")))
    narrow = world.directory(ADMIN, scopes=[
        "https://www.googleapis.com/auth/admin.directory.user.readonly"])
    with pytest.raises(HttpError) as caught:
        narrow.groups().list(customer="my_customer").execute()
    cases.append((caught.value, 403, _google_error(
        403, "Request had insufficient authentication scopes.", "insufficientPermissions",
        "PERMISSION_DENIED")))
    world.ops.set_api_access(domain="acme.example", enabled=False)
    with pytest.raises(HttpError) as caught:
        directory.users().list(customer="my_customer").execute()
    cases.append((caught.value, 403, _google_error(
        403, "Domain cannot use apis.", "domainCannotUseApis", "PERMISSION_DENIED")))
    for error, status, body in cases:
        assert error.status_code == status
        assert json.loads(error.content) == body

    missing = requests.get(f"{world.url}/admin/directory/v1/users",
                           params={"customer": "my_customer"}, timeout=5)
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="https://accounts.google.com/"'
    assert missing.json() == _google_error(
        401, "Login Required.", "required", "UNAUTHENTICATED",
        location="Authorization", locationType="header")


def test_the_schema_check_catches_unknown_fields_and_wrong_types():
    user = {"kind": "admin#directory#user", "isAdmin": "yes", "nickname": "x",
            "name": {"givenName": 1}, "emails": [{"address": "a@b"}]}
    assert schema_errors(user, {"$ref": "User"}, DIRECTORY) == [
        "$.isAdmin: expected a boolean, got 'yes'",
        "$.nickname: not in the schema",
        "$.name.givenName: expected a string, got 1",
    ]
    assert schema_errors({"directMembersCount": 3}, {"$ref": "Group"}, DIRECTORY) == [
        "$.directMembersCount: expected a string, got 3"
    ]
