"""Reading configuration from the environment, and the development secrets file."""

import base64
import json
import os
import secrets
from pathlib import Path


def env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _generate(kind: str) -> str:
    if kind == "fernet":
        return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    return secrets.token_urlsafe(50)


def local_secret(path: Path, name: str) -> str:
    """Return a development secret, generating the file once.

    The file is created atomically (link of a complete temporary file) so that parallel test
    workers starting together all read the same secrets.
    """
    if not path.exists():
        values = {"SECRET_KEY": _generate("django"), "FIELD_ENCRYPTION_KEYS": _generate("fernet")}
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(values, indent=2))
        os.chmod(temporary, 0o600)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    stored = json.loads(path.read_text())
    if name not in stored:
        raise KeyError(f"{name} missing from {path}; delete the file to regenerate it.")
    return stored[name]
