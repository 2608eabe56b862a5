from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "ipt.visits"
    default_auto_field = "django.db.models.BigAutoField"
