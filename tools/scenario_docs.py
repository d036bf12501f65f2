"""Rewrite the generated reference block of docs/scenarios.md from the scenario schema.

Usage: ``python tools/scenario_docs.py`` (tests/test_scenario_docs.py checks it is current).
"""

from pathlib import Path

from reten.scenario.schema import update_docs

DOC = Path(__file__).resolve().parents[1] / "docs" / "scenarios.md"

if __name__ == "__main__":
    DOC.write_text(update_docs(DOC.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {DOC}")
