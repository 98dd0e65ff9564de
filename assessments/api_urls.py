from django.urls import path

from . import api

urlpatterns = [
    path("frameworks/", api.FrameworkListAPIView.as_view(), name="api-framework-list"),
    path("frameworks/<slug:code>/<int:version>/", api.FrameworkDetailAPIView.as_view(), name="api-framework-detail"),
    path("campaigns/", api.CampaignListCreateAPIView.as_view(), name="api-campaign-list"),
    path("campaigns/<int:pk>/", api.CampaignDetailAPIView.as_view(), name="api-campaign-detail"),
    path("campaigns/<int:pk>/open/", api.CampaignActionAPIView.as_view(action_name="open"), name="api-campaign-open"),
    path(
        "campaigns/<int:pk>/close/", api.CampaignActionAPIView.as_view(action_name="close"), name="api-campaign-close"
    ),
    path("campaigns/<int:pk>/recompute/", api.CampaignRecomputeAPIView.as_view(), name="api-campaign-recompute"),
    path("scores/", api.ScoresAPIView.as_view(), name="api-scores"),
    path("responses/", api.ResponseListAPIView.as_view(), name="api-response-list"),
    path("responses/<int:pk>/", api.ResponseDetailAPIView.as_view(), name="api-response-detail"),
    path("responses/<int:pk>/answers/", api.ResponseAnswersAPIView.as_view(), name="api-response-answers"),
    path(
        "responses/<int:pk>/submit/",
        api.ResponseTransitionAPIView.as_view(transition="submit"),
        name="api-response-submit",
    ),
    path(
        "responses/<int:pk>/return/",
        api.ResponseTransitionAPIView.as_view(transition="return"),
        name="api-response-return",
    ),
    path(
        "responses/<int:pk>/approve/",
        api.ResponseTransitionAPIView.as_view(transition="approve"),
        name="api-response-approve",
    ),
    path("member-surveys/<str:token>/", api.MemberSurveyAPIView.as_view(), name="api-member-survey"),
]
