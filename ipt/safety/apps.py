from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "ipt.safety"
    default_auto_field = "django.db.models.BigAutoField"
