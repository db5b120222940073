from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = "Feedback"

    def ready(self) -> None:
        from feedback import signals  # noqa: F401  (connects the receivers)
        from feedback.surveys import receivers  # noqa: F401  (surveys scheduled at resolution)
