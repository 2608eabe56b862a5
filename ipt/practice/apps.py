from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "ipt.practice"
    default_auto_field = "django.db.models.BigAutoField"
