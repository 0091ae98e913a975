from django.urls import path

from hsds import views

app_name = "hsds"
urlpatterns = [
    path("", views.Root.as_view(), name="root"),
    path("services", views.Services.as_view(), name="services"),
    path("services/<path:id>", views.ServiceDetail.as_view(), name="service"),
    path("organizations", views.Organizations.as_view(), name="organizations"),
    path("organizations/<path:id>", views.OrganizationDetail.as_view(), name="organization"),
    path("service_at_locations", views.ServiceAtLocations.as_view(), name="service_at_locations"),
    path(
        "service_at_locations/<path:id>",
        views.ServiceAtLocationDetail.as_view(),
        name="service_at_location",
    ),
    path("taxonomies", views.Taxonomies.as_view(), name="taxonomies"),
    path("taxonomies/<path:id>", views.TaxonomyDetail.as_view(), name="taxonomy"),
    path("taxonomy_terms", views.TaxonomyTerms.as_view(), name="taxonomy_terms"),
    path("taxonomy_terms/<path:id>", views.TaxonomyTermDetail.as_view(), name="taxonomy_term"),
]
