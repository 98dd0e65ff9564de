from tests.assessments.conftest import editor_response, unit_campaign, unit_framework  # noqa: F401 - fixtures
