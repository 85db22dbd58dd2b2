from django.contrib import admin
from django.urls import path

from paraph.operations import views

app_name = "operations"

# Under /backoffice/: the admin site's own log-in (password and SMS code)
# and staff check come first.
urlpatterns = [
    path("", admin.site.admin_view(views.outgoing), name="outgoing"),
]
