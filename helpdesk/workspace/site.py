"""The admin site as the ticket admin's pages see it."""

from django.contrib.admin import AdminSite
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


class LazyAppListSite:
    """The ticket admin's admin site, except that the list of every app and model in the
    site's context is built only when a template reads it.

    Django builds it for every admin page, for the navigation sidebar (turned off here) and
    nothing else on a ticket page: it asks every registered ModelAdmin for its permissions
    (the agent's permission query) and reverses two URLs for each, several milliseconds of
    a queue page. Everything else is the site itself.
    """

    def __init__(self, site: AdminSite) -> None:
        self._site = site

    def __getattr__(self, name: str):
        return getattr(self._site, name)

    def __repr__(self) -> str:
        return repr(self._site)

    def each_context(self, request: HttpRequest) -> dict:
        # The site's own method, run with this object as the site: its get_app_list is ours.
        return AdminSite.each_context(self, request)

    def get_app_list(self, request: HttpRequest, app_label: str | None = None):
        return SimpleLazyObject(lambda: self._site.get_app_list(request, app_label))
