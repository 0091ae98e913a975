from django.urls import path, re_path

from api import views

app_name = "api"
urlpatterns = [
    path("v1/organizations/", views.OrganizationList.as_view(), name="organizations"),
    # Any text up to the last slash, newlines included, so that every miss is a JSON 404.
    re_path(
        r"^v1/organizations/(?P<slug>[\s\S]+)/$",
        views.OrganizationDetail.as_view(),
        name="organization",
    ),
    path("v1/categories/", views.CategoryList.as_view(), name="categories"),
    path("v1/places/", views.PlaceSuggest.as_view(), name="places"),
    path("v1/schema/", views.SchemaView.as_view(), name="schema"),
    path("docs/", views.docs, name="docs"),
    # Anything else under /api/ is a JSON 404, not the site's HTML page.
    re_path(r"^[\s\S]*/$", views.not_found, name="not_found"),
]
