"""Accuracy and speed of the triage suggester on the labelled dev notes and held-out notes.

Stratified k-fold cross-validation: each note is scored by a suggester whose
examples are the other folds only (the lexicon is fixed).  The lexicon-only
run (no examples at all) is the best proxy for notes written by other people.

The held-out notes (bench/data/triage_heldout.jsonl) were written separately
from the dev notes and are never used to change the suggester: they are
scored by the suggester as deployed with the dev notes as its examples.

The pre-fill threshold (calls.triage.PREFILL_THRESHOLD) is measured on the
cross-validated dev suggestions: the lowest confidence, in steps of 0.05, from
which at least PREFILL_TARGET_PRECISION of the filled-in incident types are right.

    python bench/triage_accuracy.py [--file PATH] [--heldout PATH] [--folds 10] [--json OUT] [--errors]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from calls.triage import PREFILL_THRESHOLD, Example, Suggester, Suggestion  # noqa: E402

DATA_DIR = ROOT / "dispatch" / "data"
DEFAULT_FILE = DATA_DIR / "triage_dev.jsonl"
HELDOUT_FILE = ROOT / "bench" / "data" / "triage_heldout.jsonl"
PREFILL_TARGET_PRECISION = 0.95
NOT_EMERGENCY_LABELS = ("prank", "ghost", "information")


@dataclass(frozen=True)
class Note:
    id: str
    text: str
    call_type: str
    incident_type: str | None
    primary_agency: str | None

    @property
    def stratum(self) -> str:
        return self.incident_type or self.call_type

    def example(self) -> Example:
        return Example(self.text, self.call_type, self.incident_type)


@dataclass
class Scores:
    call_type: float
    incident_type: float
    primary_agency: float
    n_notes: int
    n_emergencies: int
    errors: list[tuple[Note, Suggestion]]
    # Emergencies suggested as prank, ghost or information: must never happen.
    emergencies_dismissed: int = 0
    # Emergencies whose incident type is among the suggestion's candidates.
    top3_incident_type: float = 0.0


def load_notes(path: Path) -> list[Note]:
    notes = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                notes.append(Note(row["id"], row["text"], row["call_type"], row.get("incident_type"), row.get("primary_agency")))
    return notes


def load_taxonomy() -> dict:
    return json.loads((DATA_DIR / "taxonomy.json").read_text(encoding="utf-8"))


def stratified_folds(notes: Sequence[Note], k: int, seed: int = 112) -> list[list[int]]:
    """Indices of k folds; each stratum is dealt round-robin after a seeded shuffle."""
    by_stratum: dict[str, list[int]] = defaultdict(list)
    for i, note in enumerate(notes):
        by_stratum[note.stratum].append(i)
    rng = random.Random(seed)
    folds: list[list[int]] = [[] for _ in range(k)]
    offset = 0
    for stratum in sorted(by_stratum):
        members = by_stratum[stratum]
        rng.shuffle(members)
        for j, index in enumerate(members):
            folds[(offset + j) % k].append(index)
        offset += len(members)
    return folds


def score(pairs: Sequence[tuple[Note, Suggestion]]) -> Scores:
    call_ok = sum(n.call_type == s.call_type for n, s in pairs)
    emergencies = [(n, s) for n, s in pairs if n.call_type == "emergency"]
    incident_ok = sum(n.incident_type == s.incident_type for n, s in emergencies)
    agency_ok = sum(n.primary_agency == s.primary_agency for n, s in emergencies)
    errors = [
        (n, s)
        for n, s in pairs
        if n.call_type != s.call_type or (n.call_type == "emergency" and n.incident_type != s.incident_type)
    ]
    n_em = max(len(emergencies), 1)
    dismissed = sum(s.call_type in NOT_EMERGENCY_LABELS for _, s in emergencies)
    top3 = sum(n.incident_type in [code for code, _ in s.candidates] for n, s in emergencies)
    return Scores(
        call_ok / len(pairs), incident_ok / n_em, agency_ok / n_em, len(pairs), len(emergencies), errors, dismissed, top3 / n_em
    )


def prefill_curve(pairs: Sequence[tuple[Note, Suggestion]]) -> list[tuple[float, int, float, float]]:
    """(threshold, pre-filled notes, precision, share of emergencies pre-filled correctly) per 0.05 step."""
    emergencies = max(sum(n.call_type == "emergency" for n, _ in pairs), 1)
    curve = []
    for step in range(20):
        threshold = step / 20
        filled = [(n, s) for n, s in pairs if s.incident_type is not None and s.confidence >= threshold]
        right = sum(n.incident_type == s.incident_type for n, s in filled)
        curve.append((threshold, len(filled), right / len(filled) if filled else 1.0, right / emergencies))
    return curve


def measured_threshold(curve: Sequence[tuple[float, int, float, float]]) -> float:
    return next((t for t, n, precision, _ in curve if n and precision >= PREFILL_TARGET_PRECISION), 1.0)


def at_threshold(pairs: Sequence[tuple[Note, Suggestion]], threshold: float) -> tuple[float, float]:
    """Precision of the pre-filled incident types and the share of emergencies pre-filled correctly."""
    filled = [(n, s) for n, s in pairs if s.incident_type is not None and s.confidence >= threshold]
    right = sum(n.incident_type == s.incident_type for n, s in filled)
    emergencies = max(sum(n.call_type == "emergency" for n, _ in pairs), 1)
    return (right / len(filled) if filled else 1.0), right / emergencies


def held_out(dev: Sequence[Note], notes: Sequence[Note], taxonomy: dict) -> list[tuple[Note, Suggestion]]:
    suggester = Suggester(taxonomy, examples=[n.example() for n in dev])
    return [(n, suggester.suggest(n.text)) for n in notes]


def cross_validate(notes: Sequence[Note], taxonomy: dict, folds: int) -> tuple[Scores, list[float]]:
    pairs, timings = cross_validated_pairs(notes, taxonomy, folds)
    return score(pairs), timings


def cross_validated_pairs(
    notes: Sequence[Note], taxonomy: dict, folds: int
) -> tuple[list[tuple[Note, Suggestion]], list[float]]:
    """Each note with the suggestion of a suggester that learned from the other folds, and the times taken."""
    pairs: list[tuple[Note, Suggestion]] = []
    timings: list[float] = []
    for fold in stratified_folds(notes, folds):
        held_out = set(fold)
        suggester = Suggester(taxonomy, examples=[n.example() for i, n in enumerate(notes) if i not in held_out])
        for i in fold:
            started = time.perf_counter()
            suggestion = suggester.suggest(notes[i].text)
            timings.append((time.perf_counter() - started) * 1000)
            pairs.append((notes[i], suggestion))
    return pairs, timings


def lexicon_only(notes: Sequence[Note], taxonomy: dict) -> Scores:
    suggester = Suggester(taxonomy)
    return score([(n, suggester.suggest(n.text)) for n in notes])


def timing_at_scale(notes: Sequence[Note], taxonomy: dict, n_examples: int = 3000) -> tuple[float, list[float]]:
    """Build time and per-note times with a few thousand (replicated) training examples."""
    rng = random.Random(7)
    examples = []
    while len(examples) < n_examples:
        note = rng.choice(notes)
        words = note.text.split()
        rng.shuffle(words)
        examples.append(Example(" ".join(words), note.call_type, note.incident_type))
    started = time.perf_counter()
    suggester = Suggester(taxonomy, examples=examples)
    build_ms = (time.perf_counter() - started) * 1000
    timings = []
    for note in notes:
        started = time.perf_counter()
        suggester.suggest(note.text)
        timings.append((time.perf_counter() - started) * 1000)
    return build_ms, timings


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--heldout", type=Path, default=HELDOUT_FILE)
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--json", type=Path, help="write the figures as a list of {name, value, unit}")
    parser.add_argument("--errors", action="store_true", help="list the notes the cross-validated model gets wrong")
    args = parser.parse_args(argv)

    notes = load_notes(args.file)
    taxonomy = load_taxonomy()
    cv_pairs, cv_timings = cross_validated_pairs(notes, taxonomy, args.folds)
    cv = score(cv_pairs)
    lexicon = lexicon_only(notes, taxonomy)
    build_ms, scale_timings = timing_at_scale(notes, taxonomy)
    curve = prefill_curve(cv_pairs)
    threshold = measured_threshold(curve)
    cv_precision, cv_coverage = at_threshold(cv_pairs, PREFILL_THRESHOLD)
    heldout_notes = load_notes(args.heldout) if args.heldout.exists() else []
    heldout_pairs = held_out(notes, heldout_notes, taxonomy) if heldout_notes else []
    heldout = score(heldout_pairs) if heldout_pairs else None

    figures = [
        ("triage_cv_call_type_accuracy", cv.call_type, "ratio"),
        ("triage_cv_incident_type_accuracy", cv.incident_type, "ratio"),
        ("triage_cv_primary_agency_accuracy", cv.primary_agency, "ratio"),
        ("triage_lexicon_call_type_accuracy", lexicon.call_type, "ratio"),
        ("triage_lexicon_incident_type_accuracy", lexicon.incident_type, "ratio"),
        ("triage_lexicon_primary_agency_accuracy", lexicon.primary_agency, "ratio"),
        ("triage_suggest_p50", percentile(cv_timings, 0.5), "ms"),
        ("triage_suggest_p99", percentile(cv_timings, 0.99), "ms"),
        ("triage_suggest_3000_examples_p50", percentile(scale_timings, 0.5), "ms"),
        ("triage_suggest_3000_examples_p99", percentile(scale_timings, 0.99), "ms"),
        ("triage_build_3000_examples", build_ms, "ms"),
        ("triage_cv_emergencies_dismissed", cv.emergencies_dismissed, "notes"),
        ("triage_cv_top3_incident_type", cv.top3_incident_type, "ratio"),
        ("triage_prefill_threshold_measured", threshold, "confidence"),
        ("triage_prefill_threshold_configured", PREFILL_THRESHOLD, "confidence"),
        ("triage_cv_prefill_precision", cv_precision, "ratio"),
        ("triage_cv_prefill_coverage", cv_coverage, "ratio"),
    ]
    if heldout is not None:
        ho_precision, ho_coverage = at_threshold(heldout_pairs, PREFILL_THRESHOLD)
        figures += [
            ("triage_heldout_notes", heldout.n_notes, "notes"),
            ("triage_heldout_call_type_accuracy", heldout.call_type, "ratio"),
            ("triage_heldout_incident_type_accuracy", heldout.incident_type, "ratio"),
            ("triage_heldout_primary_agency_accuracy", heldout.primary_agency, "ratio"),
            ("triage_heldout_emergencies_dismissed", heldout.emergencies_dismissed, "notes"),
            ("triage_heldout_top3_incident_type", heldout.top3_incident_type, "ratio"),
            ("triage_heldout_prefill_precision", ho_precision, "ratio"),
            ("triage_heldout_prefill_coverage", ho_coverage, "ratio"),
        ]

    print(f"{len(notes)} notes ({cv.n_emergencies} emergencies), {args.folds}-fold stratified cross-validation")
    print(f"{'':34}{'call type':>11}{'incident':>11}{'agency':>11}")
    rows = [("cross-validated (lexicon + model)", cv), ("lexicon only (no examples)", lexicon)]
    if heldout is not None:
        rows.append((f"held-out ({heldout.n_notes} notes, {heldout.n_emergencies} em.)", heldout))
    for label, s in rows:
        print(f"{label:34}{s.call_type:>11.1%}{s.incident_type:>11.1%}{s.primary_agency:>11.1%}"
              f"   top-3 {s.top3_incident_type:.1%}, emergencies dismissed: {s.emergencies_dismissed}")
    print(f"pre-fill: measured threshold {threshold:.2f} (precision >= {PREFILL_TARGET_PRECISION:.0%} on the "
          f"cross-validated dev notes), configured {PREFILL_THRESHOLD:.2f}: precision {cv_precision:.1%}, "
          f"emergencies pre-filled correctly {cv_coverage:.1%}")
    for t, n, precision, coverage in curve:
        print(f"   >= {t:.2f}: {n:3d} pre-filled, precision {precision:.1%}, coverage {coverage:.1%}")
    print(
        f"suggest(): p50 {percentile(cv_timings, 0.5):.2f} ms, p99 {percentile(cv_timings, 0.99):.2f} ms; "
        f"with 3000 examples p50 {percentile(scale_timings, 0.5):.2f} ms, p99 {percentile(scale_timings, 0.99):.2f} ms "
        f"(build {build_ms:.0f} ms)"
    )
    print(f"mean per-note time {statistics.fmean(cv_timings):.2f} ms")

    if args.errors:
        for title, s in (("cross-validated", cv), ("lexicon only", lexicon)) + ((("held-out", heldout),) if heldout else ()):
            print(f"\n{title} errors ({len(s.errors)}):")
            for note, suggestion in sorted(s.errors, key=lambda e: e[0].id):
                expected = note.incident_type or note.call_type
                got = suggestion.incident_type or suggestion.call_type
                print(f"  {note.id} expected {expected:22} got {got:22} {suggestion.confidence:.2f}  {note.text[:90]}")

    if args.json:
        args.json.write_text(
            json.dumps([{"name": n, "value": round(v, 4), "unit": u} for n, v, u in figures], indent=2) + "\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
