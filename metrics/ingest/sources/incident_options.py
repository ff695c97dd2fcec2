"""The options both incident sources read from files declare alike (``jira-service-management``,
``incident-io``): the field an incident's service comes from, and the service when it is empty."""
from __future__ import annotations

from ...registry.source import Option

DEFAULT_SERVICE = Option("default_service", "the service of an incident whose service field is empty "
                                            "(--service sets every incident's)", metavar="NAME")


def service_field(default: str, how: str) -> Option:
    """The option naming the field an incident's service comes from; ``how`` says how it is named."""
    return Option("service_field", f"the field naming an incident's service: {how}",
                  default=default, metavar="FIELD")
