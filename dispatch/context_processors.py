from django.conf import settings

from agencies.selectors import actor_for_user


def roles(request):
    return {"actor": actor_for_user(getattr(request, "user", None))}


def alarms(request):
    """What the screens' alarms need from the settings (base.html puts it on <body>)."""
    return {"p1_alarm_seconds": settings.P1_UNDISPATCHED_ALARM_SECONDS}


def map_tiles(request):
    """The tile layer the maps draw under the outlines (templates/includes/map_tiles.html)."""
    return {"map_tile_url": settings.MAP_TILE_URL, "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION}
