"""What every public machine-readable answer shares: who may read it, and how a 400 reads.

The API, HSDS, the widget's script and oEmbed, the search box's autocomplete and the JSON 503s
all go through these, so a header or an error shape changes in one place.
"""

from django.utils.translation import gettext as _


def open_to_any_origin(response, expose=()):
    """Let any site's script read `response`: public reads carry no credentials."""
    response["Access-Control-Allow-Origin"] = "*"
    if expose:
        response["Access-Control-Expose-Headers"] = ", ".join(expose)
    return response


def invalid_parameters(*forms):
    """The body of a 400: one sentence, then every bad parameter with its messages and codes."""
    errors = {}
    for form in forms:
        errors.update(form.errors.get_json_data())
    return {"detail": _("Some parameters are not valid."), "errors": errors}
