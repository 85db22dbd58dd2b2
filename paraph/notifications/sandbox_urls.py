from django.urls import path

from paraph.notifications import views

app_name = "sandbox"
urlpatterns = [
    path("inbox/", views.sandbox_inbox, name="inbox"),
]
