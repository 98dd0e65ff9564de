import pytest

from tests.scoring.conftest import example_framework  # noqa: F401 - the framework with a metric question


@pytest.fixture(autouse=True)
def _reference_data(reference_data: None) -> None:
    """Banks, dues rates and the dues split present in every activities test, whatever ran before."""
