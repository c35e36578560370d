from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from calls import api as calls_api
from calls import telephony_api
from dispatch import alarm_api
from dispatch import api as dispatch_api
from dispatch import health
from dispatch import views as dispatch_views
from dispatch.auth_api import TokenApi
from hazards import api as hazards_api
from push import api as push_api
from push import views as push_views
from reports.api import DailyReportApi

api_v1 = [
    path("auth/token/", TokenApi.as_view(), name="api-token"),
    path("calls/", calls_api.CallListCreateApi.as_view(), name="api-calls"),
    path("calls/<int:call_id>/", calls_api.CallDetailApi.as_view(), name="api-call"),
    path("calls/<int:call_id>/classify/", calls_api.CallClassifyApi.as_view(), name="api-call-classify"),
    path("calls/<int:call_id>/take-over/", calls_api.CallTakeOverApi.as_view(), name="api-call-take-over"),
    path("calls/<int:call_id>/duplicates/", dispatch_api.CallDuplicatesApi.as_view(), name="api-call-duplicates"),
    path("calls/<int:call_id>/unlink/", dispatch_api.CallUnlinkApi.as_view(), name="api-call-unlink"),
    path("incidents/<int:incident_id>/", dispatch_api.IncidentDetailApi.as_view(), name="api-incident"),
    path("incidents/<int:incident_id>/dispatch/", dispatch_api.IncidentDispatchApi.as_view(), name="api-incident-dispatch"),
    path("incidents/<int:incident_id>/close/", dispatch_api.IncidentCloseApi.as_view(), name="api-incident-close"),
    path("incidents/<int:incident_id>/reopen/", dispatch_api.IncidentReopenApi.as_view(), name="api-incident-reopen"),
    path("incidents/<int:incident_id>/notes/", dispatch_api.IncidentNotesApi.as_view(), name="api-incident-notes"),
    path("dispatches/", dispatch_api.DispatchListApi.as_view(), name="api-dispatches"),
    path("dispatches/<int:dispatch_id>/", dispatch_api.DispatchDetailApi.as_view(), name="api-dispatch"),
    path("dispatches/<int:dispatch_id>/acknowledge/", dispatch_api.DispatchAcknowledgeApi.as_view(), name="api-dispatch-ack"),
    path("dispatches/<int:dispatch_id>/status/", dispatch_api.DispatchStatusApi.as_view(), name="api-dispatch-status"),
    path("events/", dispatch_api.EventListApi.as_view(), name="api-events"),
    path("push/subscriptions/", push_api.PushSubscriptionApi.as_view(), name="api-push-subscriptions"),
    path("reports/daily/", DailyReportApi.as_view(), name="api-reports-daily"),
    path("telephony/events/", telephony_api.TelephonyEventApi.as_view(), name="api-telephony-events"),
    path("aml/", telephony_api.AmlApi.as_view(), name="api-aml"),
    path("calls/<int:call_id>/claim/", telephony_api.CallClaimApi.as_view(), name="api-call-claim"),
    path("calls/<int:call_id>/aml/", telephony_api.CallAmlApi.as_view(), name="api-call-aml"),
    path("callbacks/", telephony_api.CallbackListApi.as_view(), name="api-callbacks"),
    path("callbacks/<int:callback_id>/outcome/", telephony_api.CallbackOutcomeApi.as_view(), name="api-callback-outcome"),
    path("hazards/cap/", hazards_api.CapAlertApi.as_view(), name="api-hazards-cap"),
    path("disaster/", hazards_api.DisasterStateApi.as_view(), name="api-disaster"),
    path("alarms/", alarm_api.AlarmStateApi.as_view(), name="api-alarms"),
]

# The API first: Django tries the patterns in order, and a call being recorded should not first be
# compared with every page's pattern (about 2 % of the CPU of recording a call). No page path starts with api/v1/.
urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("", include("dispatch.web_urls")),
    path("wall/incidents.json", dispatch_views.wall_incidents, name="wall-incidents"),
    path("", include("displays.urls")),
    path("sw.js", push_views.service_worker, name="service-worker"),
    path("", include("calls.urls")),
    path("", include("agencies.urls")),
    path("", include("hazards.urls")),
    path("reports/", include("reports.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", login_required(SpectacularSwaggerView.as_view(url_name="schema")), name="api-docs"),
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("account/", include("dispatch.accounts")),
    path("admin/", admin.site.urls),
]

# Django's own error answers; JSON for paths under /api/ (dispatch/api_errors.py).
handler400 = "dispatch.api_errors.handler400"
handler403 = "dispatch.api_errors.handler403"
handler404 = "dispatch.api_errors.handler404"
handler500 = "dispatch.api_errors.handler500"
