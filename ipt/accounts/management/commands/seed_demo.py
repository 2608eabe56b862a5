from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand

from ipt.accounts.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, seed_demo
from ipt.care.demo import seed_courses
from ipt.measures.demo import seed_measures
from ipt.messaging.demo import seed_messages
from ipt.practice.demo import seed_practice
from ipt.scheduling.demo import seed_schedule


class Command(BaseCommand):
    help = "Create the demo practice (idempotent). Demo data only: never on a real installation."

    def handle(self, *args, **options):
        users = seed_demo(make_password(DEMO_PASSWORD))
        seed_courses(users)
        seed_measures(users)
        seed_schedule(users)
        seed_practice(users)
        seed_messages(users)
        self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        for email, user in users.items():
            self.stdout.write(f"  {user.role:<11} {email}")
        self.stdout.write(f"Demo staff TOTP secret (add it to an authenticator app): {DEMO_TOTP_SECRET}")
        self.stdout.write("Or print the current code with: .venv/bin/python manage.py demo_totp")
