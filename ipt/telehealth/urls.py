from django.urls import path

from ipt.telehealth.views import call, consent, join

urlpatterns = [
    path("my/telehealth-consent/", consent.my_consent, name="my_telehealth_consent"),
    path("telehealth/consent-documents/", consent.consent_documents, name="consent_documents"),
    path("device-check/", join.device_check, name="device_check"),
    path("appointments/<uuid:appointment_id>/join/", join.join_session, name="join_session"),
    path("appointments/<uuid:appointment_id>/waiting/", call.waiting_room, name="waiting_room"),
    path("appointments/<uuid:appointment_id>/admit/", call.admit, name="admit_patient"),
    path("appointments/<uuid:appointment_id>/call/", call.video_call, name="video_call"),
    path("appointments/<uuid:appointment_id>/end/", call.end_call, name="end_call"),
]
