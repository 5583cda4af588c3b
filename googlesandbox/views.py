"""Small public sandbox views: the index and users' thumbnail photos."""

import hashlib
from html import escape

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse, JsonResponse

from .models import DirUser


@login_not_required
def index(request):
    return JsonResponse(
        {
            "service": "Hearth Google Workspace sandbox",
            "token_uri": request.build_absolute_uri("/token"),
            "api_endpoint": request.build_absolute_uri("/"),
            "console": request.build_absolute_uri("/console/"),
        }
    )


@login_not_required
def photo(request, google_id: str):
    user = DirUser.objects.filter(google_id=google_id).first()
    if user is None:
        raise Http404
    initials = escape((user.given_name[:1] + user.family_name[:1]).upper())
    hue = int(hashlib.sha1(user.google_id.encode()).hexdigest()[:4], 16) % 360
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96">'
        f'<rect width="96" height="96" rx="48" fill="hsl({hue},45%,45%)"/>'
        '<text x="48" y="60" font-family="sans-serif" font-size="36" fill="#fff" '
        f'text-anchor="middle">{initials}</text></svg>'
    )
    return HttpResponse(svg, content_type="image/svg+xml")
