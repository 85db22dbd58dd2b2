from django.urls import path

from paraph.notifications import views

app_name = "sandbox"
urlpatterns = [
    path("inbox/", views.sandbox_inbox, name="inbox"),
    path("inbox/<int:message_id>/", views.sandbox_message, name="message"),
    path("inbox/<int:message_id>/html/", views.sandbox_message_html, name="message_html"),
]
