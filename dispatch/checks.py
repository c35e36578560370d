"""System checks: the deployment (`manage.py check --deploy`) and settings that are unusable as set."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

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


DEFAULT_GEOCODER_USER_AGENT_MARK = "contact set by the operator of the deployment"


@register()
def check_geocoder_url(app_configs, **kwargs):
    from agencies.geocoder import geocoder_url_is_valid

    url = getattr(settings, "GEOCODER_URL", "")
    if url and not geocoder_url_is_valid(url):
        return [
            Error(
                "GEOCODER_URL must be an http or https URL with a host and no user name or password.",
                hint="e.g. https://nominatim.example.org, or leave it empty to turn street lookups off.",
                id="dispatch.E003",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_geocoder_user_agent_names_a_contact(app_configs, **kwargs):
    if getattr(settings, "GEOCODER_URL", "") and DEFAULT_GEOCODER_USER_AGENT_MARK in settings.GEOCODER_USER_AGENT:
        return [
            Warning(
                "GEOCODER_USER_AGENT is the default, which names no contact.",
                hint="Set it to identify this deployment with a contact (an e-mail address or a web page), as "
                "Nominatim's usage policy asks.",
                id="dispatch.W001",
            )
        ]
    return []
