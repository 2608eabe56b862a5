"""The only road to appointments and availability: every query starts from the acting user.

Readers of an appointment: its patient, its therapist and the therapist's supervisor. Admins see
none (they run the practice, not its clinical calendar). "Missing" and "not yours" look the same.
"""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from ipt.accounts.access import care_teams_for
from ipt.accounts.models import Role, User
from ipt.lib.prepared import first_instance
from ipt.scheduling.models import LIVE_STATUSES, Appointment, TherapistProfile


def _all_appointments() -> QuerySet[Appointment]:
    return Appointment.objects.select_related("therapist", "patient", "course")


def appointments_for(user: User) -> QuerySet[Appointment]:
    appointments = _all_appointments()
    if not user.is_authenticated or not user.is_active:
        return appointments.none()
    if user.role == Role.PATIENT:
        return appointments.filter(patient=user)
    if user.role == Role.THERAPIST:
        return appointments.filter(therapist=user)
    if user.role == Role.SUPERVISOR:
        return appointments.filter(therapist__supervisor=user)
    return appointments.none()


def get_appointment_for(user: User, appointment_id) -> Appointment:
    try:
        return appointments_for(user).get(pk=appointment_id)
    except (Appointment.DoesNotExist, ValidationError, ValueError):
        raise Http404("No such appointment.") from None


def next_appointment_for(user: User) -> Appointment | None:
    """The user's next live appointment that has not ended yet (the one to join today); on a
    patient's home page, so compiled once for patients."""
    now = timezone.now()
    if user.role == Role.PATIENT and user.is_authenticated and user.is_active:
        return first_instance(_next_appointment_of_patient, user.pk, now)
    return appointments_for(user).filter(status__in=LIVE_STATUSES, end__gte=now).order_by("start").first()


def _next_appointment_of_patient(patient_id, now) -> QuerySet[Appointment]:
    live = _all_appointments().filter(patient=patient_id, status__in=LIVE_STATUSES, end__gte=now)
    return live.order_by("start")[:1]


def is_member(user: User, appointment: Appointment) -> bool:
    """The two people who meet: only they may join its waiting room and call."""
    return user.pk in (appointment.therapist_id, appointment.patient_id)


def therapists_bookable_by(user: User) -> QuerySet[User]:
    """A patient books with their own therapist; a therapist books in their own calendar."""
    if not user.is_authenticated or not user.is_active:
        return User.objects.none()
    if user.role == Role.PATIENT:
        return User.objects.filter(pk__in=care_teams_for(user).values("therapist"), is_active=True)
    if user.role == Role.THERAPIST:
        return User.objects.filter(pk=user.pk)
    return User.objects.none()


def get_bookable_therapist_for(user: User, therapist_id) -> User:
    try:
        return therapists_bookable_by(user).get(pk=therapist_id)
    except (User.DoesNotExist, ValidationError, ValueError):
        raise Http404("No such therapist.") from None


def profile_of(therapist: User) -> TherapistProfile:
    """A therapist's booking rules, created with the defaults on first use."""
    profile, _created = TherapistProfile.objects.get_or_create(therapist=therapist)
    return profile
