from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ipt.accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from ipt.accounts import caseload, signals  # noqa: F401  (audit of logins)

        caseload.connect()
