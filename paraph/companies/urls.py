from django.urls import path

from paraph.companies import views

app_name = "companies"

urlpatterns = [
    path("", views.company_list, name="list"),
    path("registration/", views.company_register_view, name="register"),
    path("act/", views.acting_choose, name="act"),
    path("invitation/<str:token>/", views.invitation_view, name="invitation"),
    path("<str:number>/users/", views.company_users, name="users"),
]
