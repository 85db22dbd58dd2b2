from django.urls import path

from paraph.companies import representative_views, views

app_name = "companies"

urlpatterns = [
    path("", views.company_list, name="list"),
    path("registration/", views.company_register_view, name="register"),
    path("act/", views.acting_choose, name="act"),
    path("invitation/<str:token>/", views.invitation_view, name="invitation"),
    path("<str:number>/users/", views.company_users, name="users"),
    # Changing the digital representative (CO-5)
    path("representative/", representative_views.representative_start, name="representative"),
    path(
        "representative/accept/<str:token>/",
        representative_views.representative_accept_view,
        name="representative_accept",
    ),
    path(
        "<str:number>/representative/",
        representative_views.representative_designate_view,
        name="representative_designate",
    ),
]
