from django.urls import path

from .views import campaigns, member, survey

app_name = "assessments"

urlpatterns = [
    path("campaigns/", campaigns.campaign_list, name="campaigns"),
    path("campaigns/new/", campaigns.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", campaigns.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/open/", campaigns.campaign_open, name="campaign_open"),
    path("campaigns/<int:pk>/close/", campaigns.campaign_close, name="campaign_close"),
    path("assignments/<int:pk>/extend/", campaigns.assignment_extend, name="assignment_extend"),
    path("assignments/<int:pk>/share/", campaigns.assignment_share, name="assignment_share"),
    path("responses/<int:pk>/", survey.response_survey, name="response"),
    path("responses/<int:pk>/sections/<str:section>/", survey.response_save_section, name="response_save"),
    path("responses/<int:pk>/submit/", survey.response_submit, name="response_submit"),
    path("responses/<int:pk>/review/", survey.response_review, name="response_review"),
    path("responses/<int:pk>/evidence/<str:indicator>/", survey.evidence_add, name="evidence_add"),
    path("evidence/<int:pk>/", survey.evidence_download, name="evidence"),
    path("evidence/<int:pk>/delete/", survey.evidence_delete, name="evidence_delete"),
    path("s/<slug:token>/", member.member_survey, name="member_survey"),
    path("s/<slug:token>/thanks/", member.member_done, name="member_done"),
]
