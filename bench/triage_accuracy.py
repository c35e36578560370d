"""Accuracy and speed of the triage suggester on the labelled dev notes.

Stratified k-fold cross-validation: each note is scored by a suggester whose
examples are the other folds only (the lexicon is fixed).  The lexicon-only
run (no examples at all) is the best proxy for notes written by other people.

    python bench/triage_accuracy.py [--file PATH] [--folds 10] [--json OUT] [--errors]
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

from calls.triage import Example, Suggester, Suggestion  # noqa: E402

DATA_DIR = ROOT / "dispatch" / "data"
DEFAULT_FILE = DATA_DIR / "triage_dev.jsonl"


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
    return Scores(call_ok / len(pairs), incident_ok / n_em, agency_ok / n_em, len(pairs), len(emergencies), errors)


def cross_validate(notes: Sequence[Note], taxonomy: dict, folds: int) -> tuple[Scores, list[float]]:
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
    return score(pairs), timings


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
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--json", type=Path, help="write the figures as a list of {name, value, unit}")
    parser.add_argument("--errors", action="store_true", help="list the notes the cross-validated model gets wrong")
    args = parser.parse_args(argv)

    notes = load_notes(args.file)
    taxonomy = load_taxonomy()
    cv, cv_timings = cross_validate(notes, taxonomy, args.folds)
    lexicon = lexicon_only(notes, taxonomy)
    build_ms, scale_timings = timing_at_scale(notes, taxonomy)

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
    ]

    print(f"{len(notes)} notes ({cv.n_emergencies} emergencies), {args.folds}-fold stratified cross-validation")
    print(f"{'':34}{'call type':>11}{'incident':>11}{'agency':>11}")
    for label, s in (("cross-validated (lexicon + model)", cv), ("lexicon only (no examples)", lexicon)):
        print(f"{label:34}{s.call_type:>11.1%}{s.incident_type:>11.1%}{s.primary_agency:>11.1%}")
    print(
        f"suggest(): p50 {percentile(cv_timings, 0.5):.2f} ms, p99 {percentile(cv_timings, 0.99):.2f} ms; "
        f"with 3000 examples p50 {percentile(scale_timings, 0.5):.2f} ms, p99 {percentile(scale_timings, 0.99):.2f} ms "
        f"(build {build_ms:.0f} ms)"
    )
    print(f"mean per-note time {statistics.fmean(cv_timings):.2f} ms")

    if args.errors:
        for title, s in (("cross-validated", cv), ("lexicon only", lexicon)):
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
