"""Health check, production settings and `check --deploy`."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]


def production_env(**overrides) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "ALLOWED_HOSTS", "DEBUG"}
    }
    env.update(
        IPT_ENV="production",
        SECRET_KEY="p" * 20 + "roduction-secret-key-that-is-long-and-random-1234567890",
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="ipt.example.org",
    )
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def manage(*args, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_healthz_checks_the_database_and_the_channel_layer(db):
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "channel_layer": "ok"}


def test_check_deploy_is_clean_under_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_its_secrets():
    for missing in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "ALLOWED_HOSTS"):
        result = manage("check", env=production_env(**{missing: None}))
        assert result.returncode != 0
        assert f"{missing} must be set" in result.stderr
