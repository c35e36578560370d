from django.conf import settings

from agencies.selectors import actor_for_user, post_edit_scope


def roles(request):
    user = getattr(request, "user", None)
    # Called by the template only where the menu asks (the permission lookup costs a query).
    return {"actor": actor_for_user(user), "may_place_posts": lambda: post_edit_scope(user) is not None}


def alarms(request):
    """What the screens' alarms need from the settings (base.html puts it on <body>)."""
    return {"p1_alarm_seconds": settings.P1_UNDISPATCHED_ALARM_SECONDS}


def map_tiles(request):
    """The tile layer the maps draw under the outlines (templates/includes/map_tiles.html)."""
    return {"map_tile_url": settings.MAP_TILE_URL, "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION}
