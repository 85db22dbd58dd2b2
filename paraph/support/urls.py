from django.urls import path

from paraph.support import views

app_name = "support"
urlpatterns = [
    path("contact/", views.contact, name="contact"),
    path("contact/sent/", views.contact_sent, name="contact_sent"),
]
