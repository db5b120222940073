from django.apps import AppConfig


class StatusfeedConfig(AppConfig):
    name = "statusfeed"
    verbose_name = "Public status feed"
