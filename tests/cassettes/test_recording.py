"""Re-recording is deterministic: a fresh recording (another process, another day, another
random token draw) is byte-identical to the committed cassettes."""

from __future__ import annotations

import filecmp

from .record import differences, main, record
from .scenarios import CASSETTES, SCENARIOS


async def test_a_fresh_recording_matches_the_committed_cassettes(tmp_path):
    await record(tmp_path / "a")
    await record(tmp_path / "b")
    names = list(SCENARIOS)
    assert differences(tmp_path / "a", tmp_path / "b", names) == []
    stale = differences(tmp_path / "a", CASSETTES, names)
    assert stale == [], (
        f"{stale} differ from a fresh recording: the engine's requests changed; "
        "re-record with `python -m tests.cassettes.record` and review the diff"
    )


def test_check_command_reports_a_changed_cassette(tmp_path, capsys):
    out = tmp_path / "cassettes"
    assert main(["--out", str(out), "--only", "pipedrive_429"]) == 0
    assert main(["--out", str(out), "--only", "pipedrive_429", "--check"]) == 0
    tape = out / "pipedrive_429.yaml"
    tape.write_text(tape.read_text().replace("Call Eva", "Call Eve", 1))
    assert not filecmp.cmp(tape, CASSETTES / "pipedrive_429.yaml", shallow=False)
    assert main(["--out", str(out), "--only", "pipedrive_429", "--check"]) == 1
    assert "pipedrive_429.yaml" in capsys.readouterr().err
