"""The curators' admin: entries and causes (`entries`), and the queues that feed them (`queues`).

Importing the modules registers their admins with the site.
"""

from curation.admin import entries, queues  # noqa: F401 (registers the admins)
