from django.urls import path

from ipt.interop import views

urlpatterns = [
    # FHIR R4 (bearer token or signed-in session)
    path("fhir/r4/Patient", views.patient_search, name="fhir_patient_search"),
    path("fhir/r4/Patient/<uuid:care_team_id>", views.patient_read, name="fhir_patient_read"),
    path(
        "fhir/r4/Patient/<uuid:care_team_id>/$everything",
        views.patient_everything,
        name="fhir_patient_everything",
    ),
    # The patient's own record
    path("my/record.json", views.my_record_json, name="my_record_json"),
    path("my/record.pdf", views.my_record_pdf, name="my_record_pdf"),
    # Staff: a course's progress report
    path("courses/<uuid:course_id>/report.pdf", views.course_report_pdf, name="course_report_pdf"),
]
