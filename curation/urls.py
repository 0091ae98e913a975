from django.urls import path

from curation import views

app_name = "curation"
urlpatterns = [
    path("suggest/", views.suggest, name="suggest"),
    path("suggest/thanks/", views.suggest_thanks, name="suggest_thanks"),
    path("groups/<slug:slug>/report/", views.report, name="report"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
]
