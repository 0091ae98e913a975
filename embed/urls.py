app_name = "embed"
urlpatterns = []
