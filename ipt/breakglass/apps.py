from django.apps import AppConfig


class BreakGlassConfig(AppConfig):
    name = "ipt.breakglass"
    label = "breakglass"
    verbose_name = "Emergency (break-glass) access"
    default_auto_field = "django.db.models.BigAutoField"
