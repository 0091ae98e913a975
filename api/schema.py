"""Adjustments to the generated OpenAPI document."""

from directory.fields import MAX_CAUSES
from directory.models import Category


def current_causes(result, generator, request, public):
    """Say what the API does with query parameters that a serializer cannot describe.

    The `cause` parameter lists today's cause slugs (at most MAX_CAUSES of them), and a
    single-valued parameter sent empty (`?radius=`, as an HTML form does) counts as not given.
    """
    slugs = list(Category.objects.values_list("slug", flat=True))
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "query":
                    continue
                if parameter["schema"].get("type") != "array":
                    parameter["allowEmptyValue"] = True
                if parameter["name"] == "cause":
                    parameter["schema"]["maxItems"] = MAX_CAUSES
                    if slugs:
                        parameter["schema"]["items"]["enum"] = slugs
    return result
