"""The admin panel's navigation. A section appears once its page exists (its URL name
reverses), so later features show up in the menu by adding their URLs — nothing else."""

from django.urls import NoReverseMatch, reverse

PANEL_SECTIONS = (
    ("Integrations", "integrations:home"),
    ("User Management", "person_list"),
)


def panel_navigation(request) -> list[dict]:
    items = []
    for label, url_name in PANEL_SECTIONS:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "active": request.path.startswith(url)})
    return items
