from django.urls import path

from paraph.notifications import views

app_name = "notifications"
urlpatterns = [
    path("inbox/", views.sandbox_inbox, name="sandbox_inbox"),
]
