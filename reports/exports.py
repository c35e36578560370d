"""Exports of the call log and the reports: CSV (streamed), XLSX (openpyxl),
the printable daily PDF (reportlab) and the monthly Kominfo summary.

The call CSV uses the `import_calls` columns first, so an export loads back
with `python manage.py import_calls`.

Callers and operators type the text that ends up in these files. A spreadsheet
reads a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return as a
formula (CSV injection), so every CSV text cell that begins so gets a leading
single quote (`+6281...` is written `'+6281...`; `import_calls` takes the quote
off again), and every XLSX text cell is written as a string, never a formula.
User text in the PDF is escaped before reportlab reads it as markup."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from xml.sax.saxutils import escape

from django.db.models import Aggregate, CharField, Max, Min, OuterRef, Subquery
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _

from core.csvcells import csv_cell
from dispatch.labels import call_type_label, incident_type_label
from dispatch.models import Dispatch
from dispatch.shifts import WIB
from reports import selectors

IMPORT_COLUMNS = [
    "external_id", "received_at", "answered_at", "caller_number", "call_type", "incident_type", "kelurahan_code",
    "notes", "agencies", "dispatched_at", "acknowledged_at", "resolved_at", "closed_at",
]
# "kejadian": the incident as everyone names it ("Kejadian #N"), beside its bare id.
EXTRA_COLUMNS = ["id", "status", "channel", "operator", "kelurahan", "kecamatan", "incident_id", "priority", "kejadian"]
CALL_COLUMNS = IMPORT_COLUMNS + EXTRA_COLUMNS
XLSX_MAX_ROWS = 1_048_000


class AgencyList(Aggregate):
    """The agency codes of an incident's dispatches, `;`-separated, in code order."""

    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s, ';' ORDER BY %(expressions)s)"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra):
        # SQLite before 3.44 cannot order inside an aggregate; the export sorts the codes.
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", template="%(function)s(%(expressions)s, ';')", **extra)


def _dispatch_sub(aggregate) -> Subquery:
    return Subquery(
        Dispatch.objects.filter(incident=OuterRef("incident")).order_by().values("incident").annotate(v=aggregate).values("v")[:1]
    )


def call_rows(period: selectors.Period, *, moments_as_text: bool = True) -> Iterator[list]:
    """The period's calls in CSV column order, oldest first, streamed from the database. Times are
    ISO 8601 text in WIB (CSV, which the importer reads back), or with `moments_as_text=False`
    WIB date-times a spreadsheet sorts and filters as dates (XLSX)."""
    moment = _iso if moments_as_text else _wib
    qs = (
        selectors.calls_in(period)
        .order_by("received_at", "pk")
        .annotate(
            agency_list=_dispatch_sub(AgencyList("agency__code")),
            first_dispatched=_dispatch_sub(Min("dispatched_at")),
            first_acknowledged=_dispatch_sub(Min("acknowledged_at")),
            last_resolved=_dispatch_sub(Max("resolved_at")),
        )
        .values_list(
            "external_id", "pk", "received_at", "answered_at", "caller__number", "caller_number_raw", "call_type",
            "incident__incident_type__code", "kelurahan__code", "notes", "agency_list", "first_dispatched",
            "first_acknowledged", "last_resolved", "incident__closed_at", "status", "channel", "operator__username",
            "kelurahan__name", "kelurahan__kecamatan__name", "incident_id", "incident__priority",
        )
    )
    for (ext, pk, received, answered, number, raw, ctype, itype, kel, notes, agencies, dispatched, acked, resolved,
         closed, status, channel, operator, kel_name, kec_name, incident_id, priority) in qs.iterator(chunk_size=2000):
        yield [
            ext or f"call-{pk}", moment(received), moment(answered), number or raw, ctype, itype or "", kel or "", notes,
            ";".join(sorted(agencies.split(";"))) if agencies else "", moment(dispatched), moment(acked), moment(resolved), moment(closed),
            pk, status, channel, operator or "", kel_name or "", kec_name or "", incident_id or "", priority or "",
            incident_label(incident_id),
        ]


def incident_label(incident_id: int | None) -> str:
    """"Kejadian #N", the one way an incident is named in texts and exports ("" for none)."""
    return _("Kejadian #%(id)s") % {"id": incident_id} if incident_id else ""


def _iso(moment) -> str:
    return moment.astimezone(WIB).isoformat() if moment else ""


def _wib(moment):
    """The moment as a WIB wall-clock date-time (a spreadsheet cell has no time zone), or "" for none."""
    return moment.astimezone(WIB).replace(tzinfo=None) if moment else ""


XLSX_MOMENT_FORMAT = "yyyy-mm-dd hh:mm:ss"


class _Echo:
    def write(self, value):
        return value


def csv_response(rows: Iterable[list], header: list[str], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def stream():
        yield "\ufeff"  # Excel opens UTF-8 with a BOM
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([csv_cell(value) for value in row])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _xlsx_row(sheet, row: list) -> list:
    """The row with each text cell written as a string: openpyxl would store text beginning with
    `=` as a formula, and refuses control characters (a note may hold one) with an error."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cells = []
    for value in row:
        if isinstance(value, str):
            cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
            cell.data_type = "s"
            value = cell
        elif isinstance(value, datetime):
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = XLSX_MOMENT_FORMAT
            value = cell
        cells.append(value)
    return cells


def xlsx_response(sheets: list[tuple[str, list[str], Iterable[list]]], filename: str) -> HttpResponse:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        sheet.append(_xlsx_row(sheet, header))
        for n, row in enumerate(rows):
            if n >= XLSX_MAX_ROWS:
                sheet.append([_("Terpotong: batas baris Excel tercapai; gunakan CSV.")])
                break
            sheet.append(_xlsx_row(sheet, row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def calls_export(period: selectors.Period, fmt: str, stem: str) -> HttpResponse:
    if fmt == "xlsx":
        return xlsx_response([(_("Panggilan"), CALL_COLUMNS, call_rows(period, moments_as_text=False))], f"{stem}.xlsx")
    return csv_response(call_rows(period), CALL_COLUMNS, f"{stem}.csv")


def monthly_rows(summary: dict) -> list[list]:
    """The Kominfo monthly report as rows: section, item, count."""
    rows = [
        [_("Ringkasan"), _("Total panggilan"), summary["total"]],
        [_("Ringkasan"), _("Darurat (nyata)"), summary["emergency"]],
        [_("Ringkasan"), _("Prank / iseng"), summary["prank"]],
        [_("Ringkasan"), _("Ghost call"), summary["ghost"]],
        [_("Ringkasan"), _("Informasi"), summary["information"]],
        [_("Ringkasan"), _("Pengaduan"), summary["complaint"]],
        [_("Ringkasan"), _("Belum terklasifikasi"), summary["unclassified"]],
    ]
    rows += [[_("Jenis kejadian"), incident_type_label(code), n] for code, n in summary["by_incident_type"].items()]
    rows += [[_("Instansi"), code, n] for code, n in summary["by_agency"].items()]
    return rows


MONTHLY_HEADER = ["bagian", "item", "jumlah"]


def monthly_export(summary: dict, fmt: str) -> HttpResponse:
    stem = f"laporan-112-{summary['period'].label}"
    rows = monthly_rows(summary)
    if fmt == "xlsx":
        return xlsx_response([(summary["period"].label, MONTHLY_HEADER, rows)], f"{stem}.xlsx")
    return csv_response(rows, MONTHLY_HEADER, f"{stem}.csv")


def daily_pdf(day: date) -> bytes:
    """The printable daily report: summary, KPIs, agencies, sign-off and amendments."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    summary = selectors.daily_summary(day)
    period = selectors.period_day(day)
    funnel = selectors.funnel(period)
    signoff = selectors.signoff_for(day)
    amendments = list(selectors.amendments_for(day))
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, title=f"Laporan harian 112 {day}")
    grid = TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef6")),
        ("FONTSIZE", (0, 0), (-1, -1), 9),
    ])

    def table(header, rows):
        t = Table([header, *rows], hAlign="LEFT")
        t.setStyle(grid)
        return t

    def fmt(value):
        return "-" if value is None else str(value)

    story = [
        Paragraph(_("Laporan harian Call Center 112 Kota Bengkulu"), styles["Title"]),
        Paragraph(_("Tanggal (WIB): %(d)s") % {"d": day.isoformat()}, styles["Normal"]),
        Spacer(1, 6 * mm),
        Paragraph(_("Alur panggilan"), styles["Heading2"]),
        table([_("Tahap"), _("Jumlah")], [[str(selectors.FUNNEL_LABELS[k]), n] for k, n in funnel]),
        Paragraph(_("Jenis panggilan"), styles["Heading2"]),
        table([_("Jenis"), _("Jumlah")], [[call_type_label(k), v] for k, v in summary["by_call_type"].items()]),
        Paragraph(_("Waktu"), styles["Heading2"]),
        table(
            [_("Ukuran"), "median (s)", "p90 (s)", _("Target")],
            [
                [_("Waktu jawab"), fmt(summary["answer_seconds"]["median"]), fmt(summary["answer_seconds"]["p90"]),
                 _("tidak ada data sistem telepon (PBX)") if summary["answer_seconds"]["median"] is None
                 else _("%(p)s %% dalam 15 s (target 90 %%)") % {"p": fmt(summary["answered_within_15s_pct"])}],
                [_("Waktu proses"), fmt(summary["processing_seconds"]["median"]), fmt(summary["processing_seconds"]["p90"]),
                 _("%(p)s %% dalam 60 s (target 90 %%)") % {"p": fmt(summary["processed_within_60s_pct"])}],
            ],
        ),
        Paragraph(_("Jenis kejadian"), styles["Heading2"]),
        table([_("Jenis"), _("Kejadian")], [[incident_type_label(k), v] for k, v in summary["by_incident_type"].items()] or [["-", 0]]),
        Paragraph(_("Instansi"), styles["Heading2"]),
        table(
            [_("Instansi"), _("Dikirim"), _("Diterima"), _("Eskalasi"), "ack median", "ack p90", _("Target")],
            [[code, a["dispatched"], a["acknowledged"], a["escalated"], fmt(a["ack_seconds"]["median"]),
              fmt(a["ack_seconds"]["p90"]), fmt(a["ack_target_seconds"])] for code, a in summary["by_agency"].items()]
            or [["-", 0, 0, 0, "-", "-", "-"]],
        ),
        Paragraph(_("Pengesahan"), styles["Heading2"]),
        Paragraph(
            # reportlab reads a Paragraph's text as markup: the user's name is escaped.
            escape(_("Disahkan oleh %(u)s pada %(t)s") % {"u": signoff.signed_by.get_username(), "t": _iso(signoff.signed_at)})
            if signoff else _("Belum disahkan."),
            styles["Normal"],
        ),
    ]
    if amendments:
        story += [
            Paragraph(_("Perubahan setelah pengesahan"), styles["Heading2"]),
            table(
                [_("Waktu"), _("Oleh"), _("Aksi"), _("Objek")],
                [[_iso(a.at), a.by.get_username() if a.by_id else "-", a.action, f"{a.object_type} #{a.object_id}"] for a in amendments],
            ),
        ]
    doc.build(story)
    return buffer.getvalue()
