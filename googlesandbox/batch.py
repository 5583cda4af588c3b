"""Google's batch endpoint: many API calls in one HTTP request (`POST {rootUrl}batch`, the
`batchPath` of the Admin SDK's discovery documents).

The body is multipart/mixed; each part (Content-Type: application/http) holds one call as HTTP —
its request line, its headers (its own Authorization), its body. The answer is multipart/mixed
too, one part per call in the same order, each with `Content-ID: <response-ID>` for the part's
`<ID>` and the call's own HTTP status, headers and JSON. As at Google, every call is served and
counted as if it came alone — authenticated, within the quota, subject to the domain's faults —
so a batch saves round trips, not quota; a batch of more than 1,000 calls is refused whole.

Calls run one after the other on the batch's request thread. Latency is the round trip's: the
batch itself pays the domain's configured latency once, not once per call.
"""

import email.parser
import email.policy
import io
import logging
import re
import secrets
from http import HTTPStatus
from urllib.parse import unquote_to_bytes

from django.contrib.auth.decorators import login_not_required
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt

from . import errors
from .faults import batch_round_trip, calls_in_batch

# Google: "You're limited to 1000 calls in a single batch request."
MAX_CALLS = 1000

# The server's access log: each call of a batch gets its own line, as a call sent alone does.
access_log = logging.getLogger("django.server")
logger = logging.getLogger(__name__)


@csrf_exempt
@login_not_required
def batch_view(request: HttpRequest) -> HttpResponse:
    try:
        if request.method != "POST":
            raise errors.ApiError(405, "Method Not Allowed", "httpMethodNotAllowed")
        parts = _parts(request)
        if len(parts) > MAX_CALLS:
            raise errors.bad_request(
                f"A batch request cannot contain more than {MAX_CALLS} requests."
            )
    except errors.ApiError as exc:
        return exc.response()
    batch_round_trip(request.META.get("HTTP_AUTHORIZATION", ""))
    answers = []
    with calls_in_batch():
        for content_id, payload in parts:
            answers.append((content_id, _serve(request, payload)))
    boundary = f"batch_{secrets.token_hex(12)}"  # never a line of any answer
    body = io.BytesIO()
    for content_id, response in answers:
        body.write(f"--{boundary}\r\n".encode())
        body.write(b"Content-Type: application/http\r\n")
        if content_id:
            body.write(f"Content-ID: <response-{content_id}>\r\n".encode())
        body.write(b"\r\n")
        body.write(_http_bytes(response))
        body.write(b"\r\n")
    body.write(f"--{boundary}--\r\n".encode())
    return HttpResponse(body.getvalue(), content_type=f"multipart/mixed; boundary={boundary}")


def _parts(request: HttpRequest) -> list[tuple[str, bytes]]:
    """(Content-ID without its brackets, the call as HTTP bytes) for each part."""
    content_type = request.META.get("CONTENT_TYPE", "")
    if not content_type.lower().startswith("multipart/mixed"):
        raise errors.bad_request("Request content type must be multipart/mixed.")
    message = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + request.body
    )
    if not message.is_multipart() or not message.get_payload():
        raise errors.bad_request("Request does not contain a valid multipart body.")
    parts = []
    for part in message.get_payload():
        if part.get_content_type() != "application/http":
            raise errors.bad_request("Each part of a batch must be application/http.")
        payload = part.get_payload(decode=False)
        if not isinstance(payload, str):
            raise errors.bad_request("A part of the batch holds no HTTP request.")
        # a long Content-ID comes folded over lines (RFC 5322 §2.2.3): unfolded, it is echoed
        # on one line, where the client looks for its "<base + id>"
        content_id = re.sub(r"\r?\n(?=[ \t])", "", part.get("Content-ID") or "").strip()
        content_id = content_id.removeprefix("<").removesuffix(">")
        # the parser kept bytes it could not decode as surrogates: give them back as they came
        parts.append((content_id, payload.encode("utf-8", "surrogateescape")))
    return parts


def _serve(batch: HttpRequest, payload: bytes) -> HttpResponse:
    """One call of the batch, through the sandbox's own URLconf and views."""
    head, _, body = payload.replace(b"\r\n", b"\n").partition(b"\n\n")
    lines = head.decode("latin-1").split("\n")
    request_line = lines[0].strip()
    try:
        method, target, _version = request_line.split(" ")
    except ValueError:
        return errors.bad_request("A part of the batch has no valid request line.").response()
    path, _, query = target.partition("?")
    environ = {
        key: value
        for key, value in batch.META.items()
        if not key.startswith("HTTP_") and key not in ("CONTENT_TYPE", "CONTENT_LENGTH")
    }
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            continue
        name, value = name.strip().lower(), value.strip()
        if name == "content-type":
            environ["CONTENT_TYPE"] = value
        elif name != "content-length":
            environ["HTTP_" + name.upper().replace("-", "_")] = value
    body = body.rstrip(b"\n") if body.strip() else b""
    environ.update(
        REQUEST_METHOD=method.upper(),
        # WSGI's PATH_INFO is the path percent-decoded, its bytes as latin-1 (PEP 3333)
        PATH_INFO=unquote_to_bytes(path).decode("latin-1"),
        QUERY_STRING=query,
        CONTENT_LENGTH=str(len(body)),
    )
    environ["wsgi.input"] = io.BytesIO(body)
    request = WSGIRequest(environ)
    request.urlconf = batch.urlconf
    request.is_google_sandbox = True
    try:
        if request.path_info.rstrip("/") == "/batch":
            raise Resolver404  # Google: no batch inside a batch
        match = resolve(request.path_info, urlconf=batch.urlconf)
        response = match.func(request, *match.args, **match.kwargs)
    except Resolver404:
        response = errors.not_found(path).response()
    except Exception:
        # one call's crash is that call's 500, as Google answers it; the batch goes on
        logger.exception("A call of a batch failed: %s", request_line)
        response = errors.ApiError(500, "Backend Error", "backendError").response()
    access_log.info('"%s" %s %s', request_line, response.status_code, len(response.content))
    return response


def _http_bytes(response: HttpResponse) -> bytes:
    """The answer as HTTP: its status line, then Django's own serialisation (headers, body)."""
    reason = response.reason_phrase or HTTPStatus(response.status_code).phrase
    return f"HTTP/1.1 {response.status_code} {reason}\r\n".encode("latin-1") + response.serialize()
