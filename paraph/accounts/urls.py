from django.urls import path

from paraph.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_start, name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("login/code/resend/", views.login_code_resend_view, name="login_code_resend"),
    path("register/", views.register, name="register"),
    path("security/", views.security, name="security"),
    path("logout/", views.logout_view, name="logout"),
    path("logout/everywhere/", views.logout_everywhere, name="logout_everywhere"),
]
