from django.urls import path

from paraph.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:message_id>/", views.message_detail, name="detail"),
]
