"""Adjustments to the generated OpenAPI document."""

from directory.fields import MAX_CAUSES
from directory.models import Category

# What a cause slug looks like (Category.slug is a SlugField of 60 characters). The shape, not
# today's list: a client generated from the document must be able to ask for a cause added later.
CAUSE_SLUG = {
    "type": "string",
    "maxLength": Category._meta.get_field("slug").max_length,
    "pattern": r"^[-a-zA-Z0-9_]+$",
}
CAUSE_DESCRIPTION = (
    "A cause's slug, as listed by /api/v1/categories/; repeat for several (any matches). "
    "Causes are added over time, so read the list rather than fixing it in a client. "
    "A slug that names no cause gets a 400 that says so."
)


def describe_query_parameters(result, generator, request, public):
    """Say what the API does with query parameters that a serializer cannot describe.

    The `cause` parameter takes up to MAX_CAUSES cause slugs, described by their shape (never as
    an enum of today's slugs), and a single-valued parameter sent empty (`?radius=`, as an HTML
    form does) counts as not given.
    """
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "query":
                    continue
                if parameter["schema"].get("type") != "array":
                    parameter["allowEmptyValue"] = True
                if parameter["name"] == "cause":
                    parameter["schema"]["maxItems"] = MAX_CAUSES
                    parameter["schema"]["items"] = dict(CAUSE_SLUG)
                    parameter["description"] = CAUSE_DESCRIPTION
    return result
