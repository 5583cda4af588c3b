class OrganizationMiddleware:
    """Exposes the signed-in person's organization as `request.organization` (None for
    anonymous visitors and for vendor staff, who belong to no organization)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        request.organization = user.organization if user.is_authenticated else None
        return self.get_response(request)
