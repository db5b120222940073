"""What every agent API view shares: who may call it and how its errors look."""

from rest_framework.generics import GenericAPIView

from helpdesk.api.errors import api_exception_handler
from helpdesk.api.permissions import WorksTickets


class HelpdeskAPI:
    permission_classes = [WorksTickets]
    # Only what the schema documents: no OPTIONS metadata, no HEAD, and PATCH as the one way
    # to change something (no PUT); anything else is a 405 whose Allow header matches.
    http_method_names = ["get", "post", "patch", "delete"]
    # Whether writes honour If-Match (and so may answer 412); the schema documents it.
    honours_if_match = False

    def get_exception_handler(self):
        return api_exception_handler


class HelpdeskView(HelpdeskAPI, GenericAPIView):
    pass
