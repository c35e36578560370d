"""{% load labels %}: codes shown as the reader's words (dispatch/labels.py)."""

from django import template

from dispatch import labels

register = template.Library()

register.filter("call_type_label", labels.call_type_label)
register.filter("incident_type_label", labels.incident_type_label)
register.filter("block_level_label", labels.block_level_label)
register.filter("shift_label", labels.shift_label)
register.filter("period_label", labels.period_label)
