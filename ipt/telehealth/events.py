"""Channel-layer groups of the waiting room and the call, and the broadcasts sent to them.

The database is the source of truth; these messages only wake the open sockets up. Every
broadcast is sent after the transaction that caused it commits (``transaction.on_commit``).
Message ``type``s are ``telehealth.<what>`` and land in the consumers' ``telehealth_<what>``.
"""

from typing import Any

from django.urls import reverse

from ipt.lib import live
from ipt.scheduling.models import Appointment
from ipt.telehealth.models import ChatMessage


def lobby_group(therapist_id) -> str:
    """Every open waiting-room list of one therapist."""
    return f"telehealth.lobby.{therapist_id}"


def waiting_group(appointment_id) -> str:
    """The patient's waiting-room socket of one appointment."""
    return f"telehealth.waiting.{appointment_id}"


def call_group(appointment_id) -> str:
    """Both members' call sockets of one appointment."""
    return f"telehealth.call.{appointment_id}"


def send(group: str, event: dict[str, Any]) -> None:
    """group_send from synchronous code (actions, on_commit callbacks); a layer that is down
    loses the wake-up, not the request (R5)."""
    live.group_send(group, event)


def lobby_entry(appointment: Appointment) -> dict[str, Any]:
    """One waiting patient as the therapist's lobby shows them."""
    return {
        "appointment": str(appointment.pk),
        "patient": appointment.patient.display_name,
        "start": appointment.start.isoformat(),
        "since": appointment.waiting_since.isoformat() if appointment.waiting_since else None,
        "admit_url": reverse("admit_patient", args=[appointment.pk]),
        "appointment_url": reverse("appointment_detail", args=[appointment.pk]),
    }


def call_url(appointment: Appointment) -> str:
    return reverse("video_call", args=[appointment.pk])


def ended_urls(appointment: Appointment) -> dict[str, str]:
    """Where each member goes when the session ends: the therapist to the note."""
    therapist = reverse("my_appointments")
    if appointment.encounter_id is not None and appointment.course_id is not None:
        therapist = reverse("session_note", args=[appointment.course_id, appointment.encounter_id])
    return {"therapist": therapist, "patient": reverse("my_appointments")}


def chat_frame(message: ChatMessage, appointment: Appointment) -> dict[str, Any]:
    """A chat message as both members' pages receive it."""
    sender = message.sender
    return {
        "type": "chat",
        "id": message.pk,
        "client_id": str(message.client_id),
        "from": "therapist" if message.sender_id == appointment.therapist_id else "patient",
        "name": sender.display_name,
        "body": message.body,
        "sent_at": message.sent_at.isoformat(),
    }


# Broadcasts (call them on commit)


def patient_arrived(appointment: Appointment) -> None:
    send(
        lobby_group(appointment.therapist_id),
        {"type": "telehealth.arrived", "entry": lobby_entry(appointment)},
    )


def patient_left(appointment: Appointment) -> None:
    send(
        lobby_group(appointment.therapist_id), {"type": "telehealth.left", "appointment": str(appointment.pk)}
    )


def patient_admitted(appointment: Appointment) -> None:
    send(waiting_group(appointment.pk), {"type": "telehealth.admitted", "url": call_url(appointment)})
    patient_left(appointment)


def appointment_cancelled(appointment: Appointment) -> None:
    """For the scheduling actions: the waiting patient learns it, the lobby drops them."""
    send(waiting_group(appointment.pk), {"type": "telehealth.cancelled"})
    patient_left(appointment)


def session_ended(appointment: Appointment) -> None:
    send(call_group(appointment.pk), {"type": "telehealth.ended", "urls": ended_urls(appointment)})


def chat_posted(message: ChatMessage, appointment: Appointment) -> None:
    send(call_group(appointment.pk), {"type": "telehealth.chat", "frame": chat_frame(message, appointment)})
