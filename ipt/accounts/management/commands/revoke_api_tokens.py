from django.core.management.base import BaseCommand, CommandError

from ipt.accounts.actions import revoke_api_token
from ipt.accounts.models import ApiToken


class Command(BaseCommand):
    help = "Revoke API tokens by prefix (the 8 characters after 'ipt_'), or all tokens of EMAIL."

    def add_arguments(self, parser):
        parser.add_argument("--prefix")
        parser.add_argument("--email")

    def handle(self, *args, prefix, email, **options):
        tokens = ApiToken.objects.filter(revoked_at__isnull=True).select_related("user")
        if prefix:
            tokens = tokens.filter(prefix=prefix)
        elif email:
            tokens = tokens.filter(user__email=email.lower())
        else:
            raise CommandError("Give --prefix or --email.")
        count = 0
        for token in tokens:
            revoke_api_token(actor=None, token=token)
            count += 1
        self.stdout.write(f"Revoked {count} token(s).")
