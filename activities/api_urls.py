from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("activities", api.ActivityViewSet, basename="api-activity")
router.register("payments", api.PaymentViewSet, basename="api-payment")

urlpatterns = router.urls
