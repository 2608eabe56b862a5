from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "ipt.scheduling"
    default_auto_field = "django.db.models.BigAutoField"
