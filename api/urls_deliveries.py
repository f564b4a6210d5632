"""API v1 routes of the messages that left Salvaguarda (``api.views_deliveries``)."""

from django.urls import path

from api import views_deliveries as v

urlpatterns = [
    path("deliveries/", v.DeliveryListApi.as_view(), name="delivery-list"),
    path("deliveries/<int:delivery_id>/", v.DeliveryDetailApi.as_view(), name="delivery-detail"),
    path(
        "deliveries/<int:delivery_id>/retry/", v.DeliveryRetryApi.as_view(), name="delivery-retry"
    ),
    path("cases/<int:case_id>/deliveries/", v.CaseDeliveriesApi.as_view(), name="case-deliveries"),
]
