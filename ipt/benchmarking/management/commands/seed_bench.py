import argparse

from django.core.management.base import BaseCommand, CommandError

from ipt.benchmarking import seed


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


class Command(BaseCommand):
    help = (
        "Build the benchmark data set: N patients across T therapists (default N // 50) with courses, "
        "weekly PHQ-9 and GAD-7, sessions, diaries, messages and 100 audit rows per patient. "
        "Benchmark data only: never on a real installation."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--patients", type=_whole_number, required=True, help="Number of patients, e.g. 10000."
        )
        parser.add_argument(
            "--therapists",
            type=_whole_number,
            default=None,
            help="Number of therapists (default: patients // 50).",
        )

    def handle(self, *args, patients, therapists, **options):
        try:
            therapists = seed.check_arguments(patients, therapists)
            seed.refuse_if_seeded()
            self.stdout.write(f"Seeding {patients:,} patients across {therapists:,} therapist(s)...")
            seeder = seed.seed(patients=patients, therapists=therapists, log=self.stdout.write)
        except (seed.BadArguments, seed.BenchDataExists) as error:
            raise CommandError(str(error)) from None
        counts = seeder.counts
        self.stdout.write(
            self.style.SUCCESS(
                f"Bench data ready: {counts['users']:,} users, {counts['questionnaire_responses']:,} "
                f"questionnaire responses, {counts['audit_events']:,} audit events."
            )
        )
        self.stdout.write(
            f"Sign in as {seed.therapist_email(1)} or {seed.patient_email(1)} with the password "
            f"{seed.BENCH_PASSWORD}; staff TOTP secret {seed.BENCH_TOTP_SECRET}."
        )
