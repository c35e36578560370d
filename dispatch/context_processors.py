from agencies.selectors import actor_for_user


def roles(request):
    return {"actor": actor_for_user(getattr(request, "user", None))}
