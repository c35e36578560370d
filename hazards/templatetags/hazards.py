from django import template

from agencies.selectors import actor_for_user

register = template.Library()


@register.inclusion_tag("hazards/_banner.html", takes_context=True)
def disaster_banner(context):
    """The disaster banner as the page loads (server-rendered state); static/js/disaster.js keeps it live."""
    request = context.get("request")
    user = getattr(request, "user", None)
    actor = actor_for_user(user)
    if not (actor.on_floor or actor.is_agency_staff):
        return {"show": False}
    from hazards import selectors, services

    state = services.disaster_state_data(selectors.active_period())
    return {"show": True, "state": state, "board": actor.on_floor or actor.agency_code == "BPBD"}


@register.simple_tag
def disaster_quick_tags():
    from hazards.selectors import QUICK_TAGS

    return QUICK_TAGS


@register.inclusion_tag("hazards/_day_periods.html")
def disaster_periods_of_day(day):
    """The daily log's disaster periods of a WIB day, with their KPIs (calls per hour, share of quake calls)."""
    from dispatch.shifts import wib_day_bounds

    return disaster_periods_between(*wib_day_bounds(day))


@register.inclusion_tag("hazards/_day_periods.html")
def disaster_periods_between(start, end):
    """The disaster periods touching [start, end) with their KPIs: the KPI page's day, shift, month or year."""
    from hazards import selectors

    return {"periods": [(p, selectors.period_summary(p)) for p in selectors.periods_overlapping(start, end)]}
