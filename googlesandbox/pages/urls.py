"""URLs of the sandbox's human pages; included at "" by googlesandbox/urls.py."""

urlpatterns: list = []
