from django.apps import AppConfig


class HsdsConfig(AppConfig):
    name = "hsds"
