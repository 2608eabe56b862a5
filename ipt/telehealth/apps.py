from django.apps import AppConfig


class TelehealthConfig(AppConfig):
    name = "ipt.telehealth"
    default_auto_field = "django.db.models.BigAutoField"
