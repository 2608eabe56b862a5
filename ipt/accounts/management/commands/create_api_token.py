from django.core.management.base import BaseCommand, CommandError

from ipt.accounts.actions import create_api_token
from ipt.accounts.models import User


class Command(BaseCommand):
    help = "Create an API bearer token for EMAIL and print it once (only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="", help="A label to recognise the token by.")

    def handle(self, *args, email, name, **options):
        user = User.objects.filter(email=email.lower(), is_active=True).first()
        if user is None:
            raise CommandError(f"No active account with the email {email}.")
        _, secret = create_api_token(actor=None, user=user, name=name)
        self.stdout.write(secret)
