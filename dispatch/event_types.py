"""The live events' payloads: one frozen dataclass per event type, with its keys and who receives it.

A sender builds its event through its type (`CallCreated(id=..., ...)`) and hands it to
`dispatch.events.emit`; `as_data()` is the event's `data` on the wire and in the events table.
A payload with a key missing, or one its type does not have, is refused (`PayloadError`) in tests
and development (`EVENTS_STRICT`, on with `DEBUG`); in production it is logged and the event goes
out with what it has (missing keys null): a broadcast never fails a request. The README's event
table is written from these definitions (`python manage.py event_docs`).

Receivers: "the floor" is every operator, supervisor, administrator and wall display socket (group
`floor`); a dispatch event also goes to its agency's staff (`agency.<code>`); a `disaster.*` event
to every socket (`everyone`). `dispatch.events.groups_for` routes them.
"""

from __future__ import annotations

import dataclasses
import logging
import typing
from typing import Any, ClassVar, dataclass_transform

logger = logging.getLogger("dispatch.events")


class PayloadError(TypeError):
    """An event's keys do not match its type's (raised only when EVENTS_STRICT is on)."""


def strict() -> bool:
    from django.conf import settings

    return settings.EVENTS_STRICT


@dataclass_transform(kw_only_default=True, frozen_default=True)
class Payload:
    """An object of an event's data (the event itself, or one nested in it): a frozen dataclass
    with keyword-only fields, made so by subclassing."""

    _names: ClassVar[tuple[str, ...]] = ()  # every key, in order
    _init_names: ClassVar[frozenset[str]] = frozenset()  # the keys a sender passes
    _required: ClassVar[frozenset[str]] = frozenset()  # the keys a sender must pass
    _nested: ClassVar[dict[str, type[Payload]]] = {}  # the keys that hold a nested payload, with its type
    _fixed: ClassVar[dict[str, Any]] = {}  # the keys a sender does not pass, with their values

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclasses.dataclass(frozen=True, kw_only=True)(cls)
        fields = dataclasses.fields(cls)
        cls._names = tuple(f.name for f in fields)
        cls._init_names = frozenset(f.name for f in fields if f.init)
        cls._required = frozenset(
            f.name for f in fields
            if f.init and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        )
        cls._fixed = {f.name: f.default for f in fields if not f.init}
        hints = typing.get_type_hints(cls)  # the nested payloads' types are defined above their users
        cls._nested = {name: nested for name in cls._names if (nested := _payload_type(hints[name]))}
        cls.__init__ = _checked(cls, cls.__init__)

    def as_data(self) -> dict[str, Any]:
        """The JSON object sent for this payload (nested payloads as objects)."""
        # The fields, in order, from the instance (the event path is hot: no reflection here); a fixed
        # field (an alert's kind) lives on the class.
        data = {**self._fixed, **self.__dict__} if self._fixed else self.__dict__.copy()
        if len(data) != len(self._names):
            data.update(data.pop("_unexpected"))  # a payload let through in production with keys of its own
        for name in self._nested:
            value = data[name]
            if isinstance(value, Payload):
                data[name] = value.as_data()
        return data


def _payload_type(hint) -> type[Payload] | None:
    """The payload type a field holds (alone or as `X | None`), if any."""
    for candidate in (hint, *typing.get_args(hint)):
        if isinstance(candidate, type) and issubclass(candidate, Payload):
            return candidate
    return None


def key_problems(cls: type[Payload], keys) -> list[str]:
    """What a sender's keys lack or have too many for `cls` (empty when they match)."""
    keys = set(keys)
    return [f"missing {k}" for k in sorted(cls._required - keys)] + [
        f"unexpected {k}" for k in sorted(keys - cls._init_names)
    ]


def _checked(cls: type[Payload], generated_init):
    def __init__(self, **values: Any) -> None:
        try:
            generated_init(self, **values)
        except TypeError:
            problems = key_problems(cls, values)
            if not problems:
                raise  # not a question of keys: a mistake in the sender
            report(cls.__name__, problems)
            # Production: what was given goes out, a missing key as null, an unknown one as it came.
            for f in dataclasses.fields(cls):
                default = None if f.default is dataclasses.MISSING else f.default
                object.__setattr__(self, f.name, values.get(f.name, default) if f.init else default)
            object.__setattr__(self, "_unexpected", {k: v for k, v in values.items() if k not in cls._init_names})

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    __init__.__doc__ = generated_init.__doc__
    return __init__


def report(what: str, problems: list[str]) -> None:
    """Refuse a payload that does not match its type (strict), or log it and let it go out."""
    message = f"{what} payload does not match its type: {', '.join(problems)}"
    if strict():
        raise PayloadError(message)
    logger.error(message)


class LiveEvent(Payload):
    """An event on the live stream; `type` is its wire name."""

    type: ClassVar[str] = ""

    @property
    def agency_code(self) -> str:
        """The agency whose staff receive it besides the floor ("" for none)."""
        return ""


# --- nested objects -----------------------------------------------------------------------------


class IncidentFields(Payload):
    """The keys of an incident's events, and of the incident inside a dispatch event."""

    id: int
    incident_type: str  # its code, e.g. "kebakaran_bangunan"
    label: str  # its name in Bahasa Indonesia
    priority: int
    status: str
    lat: float | None
    lon: float | None
    address: str
    kelurahan: str | None
    created_at: str
    version: int


class IncidentSnapshot(IncidentFields):
    """The incident a dispatch event is about (the keys of `incident.*`)."""


class AmlFix(Payload):
    """A handset's own position (Advanced Mobile Location) matched to the call."""

    id: int
    lat: float
    lon: float
    radius_m: int | None
    confidence: int | None
    method: str
    positioned_at: str | None
    kelurahan_code: str | None
    kelurahan: str | None
    applied: bool  # copied into the call's location (the operator had not set one)


class CallbackState(Payload):
    """The call-back a ghost call owes the caller."""

    id: int
    deadline: str
    outcome: str | None
    done_at: str | None
    done_by: str | None


class HazardAlertSnapshot(Payload):
    """The BMKG alert behind disaster mode."""

    id: int
    identifier: str
    msg_type: str
    event: str
    headline: str
    sent: str
    sent_wib: str
    expires: str | None
    magnitude: float | None
    depth_km: float | None
    lat: float | None
    lon: float | None
    area: str
    felt: str
    mmi_bengkulu: float | None
    distance_km: float | None
    nearest_kecamatan: str
    tsunami: str
    tsunami_level: str
    kind: str | None


# --- calls --------------------------------------------------------------------------------------


class CallFields(Payload):
    """The keys of a call's events."""

    id: int
    status: str
    caller_number: str | None
    call_type: str | None
    incident_id: int | None
    operator: str | None  # the username of the operator handling it
    received_at: str
    touched_at: str  # last changed by someone (notes, place, take-over)
    caller_blocked: bool
    version: int


class CallCreated(CallFields, LiveEvent):
    """A call came in (intake API, telephony ringing, the desk's new call); the floor receives it."""

    type = "call.created"


class CallUpdated(CallFields, LiveEvent):
    """A call changed (answered, claimed, taken over, edited, classified, unlinked, hung up, located by AML, its call-back recorded); the floor receives it."""

    type = "call.updated"
    aml: AmlFix | None = None  # when a handset position was just matched to the call
    callback: CallbackState | None = None  # when its call-back was just recorded


class CallerBlocked(LiveEvent):
    """A number was blocked (the prank/ghost ladder or a supervisor) or its blocks lifted; the floor receives it."""

    type = "caller.blocked"
    caller_number: str
    level: str
    starts_at: str
    expires_at: str | None
    lifted: bool
    reason: str


# --- incidents and dispatches -------------------------------------------------------------------


class IncidentCreated(IncidentFields, LiveEvent):
    """An incident was opened (a classified call, or disaster mode's major incident); the floor receives it."""

    type = "incident.created"


class IncidentUpdated(IncidentFields, LiveEvent):
    """An incident changed (a call linked or unlinked, retyped, relocated, a note, dispatched, closed, reopened); the floor receives it."""

    type = "incident.updated"


class DispatchFields(Payload):
    """The keys of a dispatch's events."""

    id: int
    agency: str  # the agency's code; its staff receive the event
    status: str
    dispatched_at: str
    ack_deadline: str
    acknowledged_at: str | None
    escalation_level: int
    station: str | None
    nearest_post: dict | None  # {"id", "name", "distance_m", "approximate"}: its post seen from the incident
    incident_id: int
    incident_number: int  # "Kejadian #N", the number everyone uses
    version: int
    incident: IncidentSnapshot

    @property
    def agency_code(self) -> str:
        return self.agency


class DispatchCreated(DispatchFields, LiveEvent):
    """An incident was sent to an agency; the floor and that agency's staff receive it."""

    type = "dispatch.created"


class DispatchUpdated(DispatchFields, LiveEvent):
    """A dispatch changed (acknowledged, en route, on scene, resolved, cancelled) or what its card shows of the incident did; the floor and its agency's staff receive it."""

    type = "dispatch.updated"


class DispatchEscalated(DispatchFields, LiveEvent):
    """A dispatch was not acknowledged in time and went one level up (supervisor, then duty officer); the floor and its agency's staff receive it."""

    type = "dispatch.escalated"


# --- alerts -------------------------------------------------------------------------------------


class Alert(LiveEvent):
    """Something a person on the floor must see, as a kind and a message in Bahasa Indonesia; the floor receives it."""

    type = "alert"
    kind: str
    message: str


class CallbackOverdue(Alert):
    """A ghost call's call-back passed its deadline (once each)."""

    kind: str = dataclasses.field(default="callback_overdue", init=False)
    call_id: int
    caller_number: str | None
    deadline: str


class P1Undispatched(Alert):
    """A P1 incident is still not sent to any agency `P1_UNDISPATCHED_ALARM_SECONDS` after it opened (once each, claimed through `Incident.p1_alarmed_at`)."""

    kind: str = dataclasses.field(default="p1_undispatched", init=False)
    incident_id: int
    created_at: str
    seconds: int  # waited so far


class BlockedCallerBurst(Alert):
    """A blocked number called again and again within minutes: maybe a real emergency."""

    kind: str = dataclasses.field(default="blocked_caller_burst", init=False)
    call_id: int
    caller_number: str
    calls: int
    minutes: int


class SweepStandIn(Alert):
    """The task queue stopped sweeping; the web processes escalate and notify in its place (once per outage)."""

    kind: str = dataclasses.field(default="sweep_stand_in", init=False)
    last_task_sweep: str | None


class SweepTaskQueueBack(Alert):
    """The task queue sweeps again; the web processes stop standing in."""

    kind: str = dataclasses.field(default="sweep_task_queue_back", init=False)


# --- disaster mode ------------------------------------------------------------------------------


class DisasterState(Payload):
    """Disaster mode now: `GET /api/v1/disaster/`'s answer, and every `disaster.*` event's data."""

    active: bool
    kind: str | None
    since: str | None
    alert: HazardAlertSnapshot | None
    period_id: int | None
    ended_at: str | None
    end_reason: str | None
    script: str  # what operators read to callers while it lasts


class DisasterStarted(DisasterState, LiveEvent):
    """A BMKG alert felt in the city started disaster mode; every socket receives it, agency staff's included."""

    type = "disaster.started"


class DisasterUpdated(DisasterState, LiveEvent):
    """Disaster mode changed (a tsunami warning, an update of its alert); every socket receives it."""

    type = "disaster.updated"


class DisasterEnded(DisasterState, LiveEvent):
    """Disaster mode ended (a supervisor, the alert cancelled or downgraded); every socket receives it."""

    type = "disaster.ended"


# --- the catalogue ------------------------------------------------------------------------------

DEFINITIONS: dict[str, type[LiveEvent]] = {
    cls.type: cls
    for cls in (
        CallCreated, CallUpdated, IncidentCreated, IncidentUpdated, DispatchCreated, DispatchUpdated,
        DispatchEscalated, CallerBlocked, Alert, DisasterStarted, DisasterUpdated, DisasterEnded,
    )
}
ALERT_KINDS: dict[str, type[Alert]] = {
    cls.__dataclass_fields__["kind"].default: cls
    for cls in (CallbackOverdue, P1Undispatched, BlockedCallerBurst, SweepStandIn, SweepTaskQueueBack)
}
NESTED: tuple[type[Payload], ...] = (IncidentSnapshot, AmlFix, CallbackState, HazardAlertSnapshot)


def definition_for(event_type: str, data: dict[str, Any]) -> type[LiveEvent] | None:
    """The type that defines a stored or received event's data (an alert's by its kind)."""
    if event_type == Alert.type and isinstance(data, dict):
        return ALERT_KINDS.get(data.get("kind"), Alert)
    return DEFINITIONS.get(event_type)


def data_problems(cls: type[Payload], data: Any, *, prefix: str = "") -> list[str]:
    """What a payload's data lacks or has too many against `cls`, nested objects included."""
    if not isinstance(data, dict):
        return [f"{prefix or 'data'} is not an object"]
    problems = [f"missing {prefix}{k}" for k in cls._names if k not in data]
    problems += [f"unexpected {prefix}{k}" for k in data if k not in cls._names]
    for name, nested in cls._nested.items():
        if data.get(name) is not None:
            problems += data_problems(nested, data[name], prefix=f"{prefix}{name}.")
    return problems
