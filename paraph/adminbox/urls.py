"""The adminbox's pages, under /adminbox/ (namespace ``adminbox``).

Card signing (``eid_urls``) and merging adminboxes and evidence
(``merge_urls``) live in modules of their own and share the namespace."""

from django.urls import path  # noqa: F401

from paraph.adminbox import eid_urls, merge_urls

app_name = "adminbox"

urlpatterns: list = []
urlpatterns += eid_urls.urlpatterns
urlpatterns += merge_urls.urlpatterns
