"""DRF's side of helpdesk.access: the rules live there, these only ask."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from helpdesk.access import user_may_administer, user_may_work_tickets


class WorksTickets(BasePermission):
    message = "Only agents, team leads and managers may use this API."

    def has_permission(self, request, view) -> bool:
        return user_may_work_tickets(request.user)


class AdministersWrites(BasePermission):
    """Settings: everyone who works tickets reads them; administrators change them."""

    message = "Only administrators (staff managers) may change settings."

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or user_may_administer(request.user)
