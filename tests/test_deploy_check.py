"""``python manage.py check --deploy --fail-level WARNING`` is clean with production
settings (issue 3, done-when 6), run in a subprocess exactly as an operator would."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

MANAGE = Path(settings.BASE_DIR) / "manage.py"


def production_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PYTEST_")) and k != "DATABASE_TEST_NAME"
    }
    env.update(
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DATABASE_URL=settings.DATABASE_URL,
        CELERY_BROKER_URL="redis://127.0.0.1:6379/15",
        DJANGO_ALLOWED_HOSTS="example.org",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    return env


def manage(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(MANAGE), *args],
        env=production_env(),
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output
    assert "WARNING" not in output and "?: (security" not in output, output


def test_production_hashes_passwords_with_argon2_and_keeps_pbkdf2():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(','.join(settings.PASSWORD_HASHERS))",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split(",") == [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
