from django.urls import path, register_converter

from referrals import views


class AnswerConverter:
    regex = "yes|no"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(AnswerConverter, "referral_answer")

app_name = "referrals"
urlpatterns = [
    path("groups/<slug:slug>/contact/", views.contact, name="contact"),
    path("groups/<slug:slug>/contact/sent/", views.sent, name="sent"),
    path("groups/<slug:slug>/contact/check-your-mail/", views.check_mail, name="check_mail"),
    path("confirm-message/<str:token>/", views.confirm, name="confirm"),
    path("followup/<str:token>/<referral_answer:answer>/", views.followup, name="followup"),
]
