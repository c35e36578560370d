"""System checks: the deployment (`manage.py check --deploy`) and settings that are unusable as set."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register

from dispatch.tiles import tile_url_problems

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


@register()
def check_map_tile_url(app_configs, **kwargs):
    problems = tile_url_problems(settings.MAP_TILE_URL)
    if problems:
        return [
            Error(
                f"MAP_TILE_URL {settings.MAP_TILE_URL!r} is not a tile URL template: {'; '.join(problems)}.",
                hint="Set it to e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png, or leave it empty for maps without tiles.",
                id="dispatch.E002",
            )
        ]
    return []
