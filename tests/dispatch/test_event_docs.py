"""`manage.py event_docs`: the README's tables of live events are written from their definitions."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from dispatch.event_types import ALERT_KINDS, DEFINITIONS, NESTED
from dispatch.management.commands import event_docs


def test_the_readme_event_tables_are_up_to_date_with_the_definitions():
    readme = event_docs.readme_path().read_text(encoding="utf-8")
    assert event_docs.with_table(readme) == readme, "run: python manage.py event_docs"


def test_the_tables_list_every_event_type_alert_kind_and_nested_object_with_its_keys():
    table = event_docs.render()
    for event_type, cls in DEFINITIONS.items():
        [row] = [line for line in table.splitlines() if line.startswith(f"| `{event_type}` |")]
        assert all(f"`{name}`" in row for name in cls._names), event_type
    for kind in ALERT_KINDS:
        assert f"| `{kind}` |" in table
    for cls in NESTED:
        assert f"| `{cls.__name__}` |" in table
    assert "`acknowledged_at` string or null" in table and "`incident` `IncidentSnapshot`" in table


@pytest.fixture
def stale_readme(tmp_path, monkeypatch):
    path = tmp_path / "README.md"
    path.write_text(f"# Title\n\nBefore.\n\n{event_docs.START}\n| old | table |\n{event_docs.END}\n\nAfter.\n", encoding="utf-8")
    monkeypatch.setattr(event_docs, "readme_path", lambda: path)
    return path


def test_check_fails_on_a_stale_table_and_changes_nothing(stale_readme):
    before = stale_readme.read_text(encoding="utf-8")
    with pytest.raises(CommandError, match="out of date"):
        call_command("event_docs", "--check")
    assert stale_readme.read_text(encoding="utf-8") == before


def test_the_command_rewrites_only_the_text_between_the_markers(stale_readme):
    call_command("event_docs")
    text = stale_readme.read_text(encoding="utf-8")
    assert text.startswith("# Title\n\nBefore.\n\n") and text.endswith("\n\nAfter.\n")
    assert "| old | table |" not in text and event_docs.render() in text
    call_command("event_docs", "--check")


def test_a_readme_without_the_markers_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "README.md"
    path.write_text("# No table here\n", encoding="utf-8")
    monkeypatch.setattr(event_docs, "readme_path", lambda: path)
    with pytest.raises(CommandError, match="markers"):
        call_command("event_docs")
