"""System checks of the deployment (`manage.py check --deploy`)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register

# Keys that are published (in .env.example, the Dockerfile, the settings' development default) or
# are obviously a placeholder: anyone can sign sessions, password resets and tokens with them.
KNOWN_INSECURE_KEYS = {
    "change-me-to-a-long-random-string-of-at-least-50-characters",
    "build-only",
    "dev-only-insecure-key-dispatch112-do-not-use-in-production",
}
PLACEHOLDER_WORDS = ("change-me", "changeme", "insecure", "placeholder", "replace-me", "your-secret", "example")


def secret_key_is_placeholder(key: str) -> bool:
    lowered = key.strip().lower()
    return lowered in KNOWN_INSECURE_KEYS or any(word in lowered for word in PLACEHOLDER_WORDS)


@register(Tags.security, deploy=True)
def check_secret_key_is_not_a_placeholder(app_configs, **kwargs):
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if any(secret_key_is_placeholder(key) for key in keys):
        return [
            Error(
                "SECRET_KEY is a published placeholder or a known insecure key.",
                hint="Set SECRET_KEY to a new random value, e.g. "
                "python -c 'import secrets; print(secrets.token_urlsafe(50))'.",
                id="dispatch.E001",
            )
        ]
    return []
