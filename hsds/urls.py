app_name = "hsds"
urlpatterns = []
