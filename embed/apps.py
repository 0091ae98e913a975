from django.apps import AppConfig


class EmbedConfig(AppConfig):
    name = "embed"

    def ready(self):
        # A bad EMBED_FRAME_ANCESTORS stops the site at start-up, not at the first embed.
        from embed.framing import frame_ancestors

        frame_ancestors()
