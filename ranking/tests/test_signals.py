"""The one declaration of the signals, and what follows from it."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest

from ranking.learned import FORMAT_2_INPUTS, IncompatibleArtifact, LearnedRanker
from ranking.signals import EVERYWHERE, GROUPS, INPUT_NAMES, SIGNAL_NAMES, SIGNALS, signals_table

DOCS = Path(__file__).resolve().parents[2] / "docs" / "recommendation-quality.md"


def test_the_docs_table_of_signals_is_the_declared_list():
    text = DOCS.read_text()
    table = re.search(r"<!-- signals-table -->\n(.*?)<!-- /signals-table -->", text, re.S)
    assert table is not None, "docs/recommendation-quality.md has lost its signals table markers"
    assert table.group(1) == signals_table(), (
        "regenerate it: python -c 'import ranking.signals as s; print(s.signals_table())'"
    )


def test_groups_inputs_and_what_is_known_everywhere_follow_the_list():
    assert SIGNAL_NAMES == tuple(signal.name for signal in SIGNALS)
    assert [name for names in GROUPS.values() for name in names] == list(SIGNAL_NAMES)
    assert set(EVERYWHERE) == {"home_km", "popularity", "category"}
    # Every signal gives the combiner its inputs, named after it, in the list's order.
    assert [name.split(":")[0] for name in INPUT_NAMES] == [
        n for n in SIGNAL_NAMES for _ in range(2 if n != "home_km" else 1)
    ]
    # The weights stored before artifacts named their inputs are for these same inputs.
    assert INPUT_NAMES == FORMAT_2_INPUTS


def _artifact(meta: dict) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    return buffer.getvalue()


def test_an_artifact_weighing_other_inputs_is_refused_by_name():
    inputs = [*INPUT_NAMES, "new_signal:scaled", "new_signal:log"]
    with pytest.raises(IncompatibleArtifact, match=r"unknown: new_signal:log, new_signal:scaled"):
        LearnedRanker.from_bytes(_artifact({"format": 3, "inputs": inputs}))
    with pytest.raises(IncompatibleArtifact, match=r"missing: kde:log, kde:scaled"):
        LearnedRanker.from_bytes(
            _artifact({"format": 3, "inputs": [n for n in INPUT_NAMES if not n.startswith("kde")]})
        )
    with pytest.raises(IncompatibleArtifact, match="another order"):
        LearnedRanker.from_bytes(_artifact({"format": 3, "inputs": list(reversed(INPUT_NAMES))}))


def test_an_artifact_of_an_unknown_format_is_refused():
    with pytest.raises(IncompatibleArtifact, match="format 1 is not 3"):
        LearnedRanker.from_bytes(_artifact({"format": 1}))
