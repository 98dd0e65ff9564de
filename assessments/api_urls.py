from django.urls import path

from . import api

urlpatterns = [
    path("frameworks/", api.FrameworkListAPIView.as_view(), name="api-framework-list"),
    path("frameworks/<slug:code>/<int:version>/", api.FrameworkDetailAPIView.as_view(), name="api-framework-detail"),
    path("campaigns/", api.CampaignListCreateAPIView.as_view(), name="api-campaign-list"),
    path("campaigns/<int:pk>/", api.CampaignDetailAPIView.as_view(), name="api-campaign-detail"),
    path("campaigns/<int:pk>/open/", api.CampaignOpenAPIView.as_view(), name="api-campaign-open"),
    path("campaigns/<int:pk>/close/", api.CampaignCloseAPIView.as_view(), name="api-campaign-close"),
    path("campaigns/<int:pk>/recompute/", api.CampaignRecomputeAPIView.as_view(), name="api-campaign-recompute"),
    path("scores/", api.ScoresAPIView.as_view(), name="api-scores"),
    path("responses/", api.ResponseListAPIView.as_view(), name="api-response-list"),
    path("responses/<int:pk>/", api.ResponseDetailAPIView.as_view(), name="api-response-detail"),
    path("responses/<int:pk>/answers/", api.ResponseAnswersAPIView.as_view(), name="api-response-answers"),
    path(
        "responses/<int:pk>/submit/",
        api.ResponseSubmitAPIView.as_view(),
        name="api-response-submit",
    ),
    path(
        "responses/<int:pk>/return/",
        api.ResponseReturnAPIView.as_view(),
        name="api-response-return",
    ),
    path(
        "responses/<int:pk>/approve/",
        api.ResponseApproveAPIView.as_view(),
        name="api-response-approve",
    ),
    # Link tokens are secrets.token_urlsafe(): a slug. Anything else is no survey (404).
    path("member-surveys/<slug:token>/", api.MemberSurveyAPIView.as_view(), name="api-member-survey"),
]
