from django.apps import AppConfig


class HelpdeskConfig(AppConfig):
    name = "helpdesk"
    verbose_name = "Helpdesk"

    def ready(self) -> None:
        from helpdesk import receivers  # noqa: F401  (connects the notification receivers)
        from helpdesk.reports import receivers as report_receivers  # noqa: F401
