"""The instrument registry: ``registry.get(code)`` and ``registry.all()``."""
