from django.urls import path

from ipt.care.views import course, inventory, plan

urlpatterns = [
    # Staff (therapist writes; supervisor reads)
    path("patients/<uuid:care_team_id>/courses/start/", course.start_course, name="course_start"),
    path("courses/<uuid:course_id>/", course.overview, name="course_overview"),
    path("courses/<uuid:course_id>/details/", course.edit_details, name="course_details"),
    path("courses/<uuid:course_id>/status/", course.change_status, name="course_status"),
    path("courses/<uuid:course_id>/fidelity/", course.fidelity, name="course_fidelity"),
    path("courses/<uuid:course_id>/problem-areas/", plan.problem_areas, name="course_problem_areas"),
    path(
        "courses/<uuid:course_id>/problem-areas/<uuid:area_id>/",
        plan.problem_area_detail,
        name="course_problem_area",
    ),
    path("courses/<uuid:course_id>/formulation/", plan.formulation, name="course_formulation"),
    path("courses/<uuid:course_id>/contract/", plan.contract, name="course_contract"),
    path("courses/<uuid:course_id>/termination/", plan.termination, name="course_termination"),
    path("courses/<uuid:course_id>/inventory/", inventory.inventory, name="course_inventory"),
    path(
        "courses/<uuid:course_id>/inventory/<uuid:person_id>/",
        inventory.inventory_person,
        name="course_inventory_person",
    ),
    path("courses/<uuid:course_id>/circle/", inventory.circle, name="course_circle"),
    path("courses/<uuid:course_id>/circle.svg", inventory.circle_svg, name="course_circle_svg"),
    path("courses/<uuid:course_id>/timeline/", inventory.timeline, name="course_timeline"),
    path("courses/<uuid:course_id>/timeline.svg", inventory.timeline_svg, name="course_timeline_svg"),
    # The patient's own pages, in plain words (their current course)
    path("my/course/", course.my_course, name="my_course"),
    path("my/formulation/", plan.my_formulation, name="my_formulation"),
    path("my/contract/", plan.my_contract, name="my_contract"),
    path("my/termination/", plan.my_termination, name="my_termination"),
    path("my/inventory/", inventory.my_inventory, name="my_inventory"),
    path("my/inventory/<uuid:person_id>/", inventory.my_inventory_person, name="my_inventory_person"),
    path("my/circle/", inventory.my_circle, name="my_circle"),
    path("my/timeline/", inventory.my_timeline, name="my_timeline"),
]
