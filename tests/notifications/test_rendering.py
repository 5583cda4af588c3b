"""Rendering: three templates per email, a shared layout, absolute links, safe subjects."""

from notifications.links import absolute_url
from notifications.rendering import email_render, subject_clean


def test_absolute_url_joins_site_url_and_path(settings):
    settings.SITE_URL = "https://hearth.test/"
    assert absolute_url("/integrations/") == "https://hearth.test/integrations/"
    assert absolute_url("integrations/") == "https://hearth.test/integrations/"
    assert absolute_url("https://elsewhere.test/x") == "https://elsewhere.test/x"
    assert absolute_url("mailto:help@hearth.test") == "mailto:help@hearth.test"


def test_text_and_html_bodies_carry_absolute_links_and_the_shared_layout():
    rendered = email_render(
        template="sample_link",
        context={"name": "Ada", "company": "Acme", "path": "/panel/integrations/?step=2&x=1"},
    )

    assert rendered.subject == "Welcome, Ada to Acme"
    assert "Open your integration: https://hearth.test/panel/integrations/?step=2&x=1" in (
        rendered.body_text
    )
    # The text layout's footer, with the product and site.
    assert "Hearth · https://hearth.test/" in rendered.body_text
    # In HTML the link is an attribute, so its & is escaped as HTML requires.
    assert 'href="https://hearth.test/panel/integrations/?step=2&amp;x=1"' in rendered.body_html
    # The shared layout: a table layout with inline styles, the product name and a footer.
    assert rendered.body_html.lstrip().startswith("<!DOCTYPE html>")
    assert '<table role="presentation"' in rendered.body_html
    assert "<style" not in rendered.body_html
    assert 'href="https://hearth.test/"' in rendered.body_html
    assert "because of your account with Hearth" in rendered.body_html


def test_product_name_comes_from_settings(settings):
    settings.PRODUCT_NAME = "Hearthly"
    rendered = email_render(template="test_email", context={})
    assert rendered.subject == "Hearthly test email"
    assert "This is a test email from Hearthly." in rendered.body_text
    assert "Hearthly</a>" in rendered.body_html


def test_text_parts_are_not_html_escaped_but_html_is():
    rendered = email_render(
        template="sample_link",
        context={"name": "<b>Tom</b>", "company": "Smith & Co", "path": "/"},
    )
    assert rendered.subject == "Welcome, <b>Tom</b> to Smith & Co"
    assert "Hello <b>Tom</b> of Smith & Co," in rendered.body_text
    assert "Hello &lt;b&gt;Tom&lt;/b&gt; of Smith &amp; Co," in rendered.body_html


def test_subject_line_breaks_collapse_to_single_spaces():
    rendered = email_render(
        template="sample_link",
        context={"name": "Eve\r\nBcc: victim@evil.test", "company": "A\u2028B", "path": "/"},
    )
    assert rendered.subject == "Welcome, Eve Bcc: victim@evil.test to A B"
    assert subject_clean("  one\n\n two\tthree\r\n") == "one two three"
