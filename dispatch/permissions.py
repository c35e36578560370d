"""Role checks for the API, from the user's membership."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from agencies.selectors import actor_for_user


class RolePermission(BasePermission):
    roles: tuple[str, ...] = ()
    message = "Peran Anda tidak diizinkan melakukan ini."

    def has_permission(self, request, view):
        return actor_for_user(request.user).role in self.roles


def roles_allowed(*roles: str) -> type[RolePermission]:
    return type("Allowed_" + "_".join(roles), (RolePermission,), {"roles": roles})


FLOOR = ("operator", "supervisor", "admin")
IsFloor = roles_allowed(*FLOOR)
IsIntake = roles_allowed(*FLOOR, "pbx")
IsSupervisor = roles_allowed("supervisor", "admin")
IsAgencyStaff = roles_allowed("agency")
IsFloorOrAgency = roles_allowed(*FLOOR, "agency")
IsPbx = roles_allowed("pbx")
IsFeed = roles_allowed("feed")
