from django.urls import path

from directory import views

app_name = "directory"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("groups/<slug:slug>/", views.organization, name="organization"),
    path("groups/<slug:slug>/next-meeting.ics", views.next_meeting_ics, name="next_meeting_ics"),
    path("groups/<slug:slug>/meetings.ics", views.meetings_feed, name="meetings_feed"),
    path("causes/", views.category_list, name="category_list"),
    path("causes/<slug:slug>/", views.category, name="category"),
    path("about/", views.about, name="about"),
    path("privacy/", views.privacy, name="privacy"),
]
