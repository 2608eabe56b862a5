from django.apps import AppConfig


class BenchmarkingConfig(AppConfig):
    """The benchmark data set (``manage.py seed_bench``); no models of its own."""

    name = "ipt.benchmarking"
    default_auto_field = "django.db.models.BigAutoField"
