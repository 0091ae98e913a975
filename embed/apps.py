from django.apps import AppConfig


class EmbedConfig(AppConfig):
    name = "embed"
