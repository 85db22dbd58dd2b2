from django.urls import path

from paraph.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_start, name="login"),
    path("security/", views.security, name="security"),
    path("logout/", views.logout_view, name="logout"),
]
