from __future__ import annotations

import subprocess
import sys

from trainer.cli.main import COMMANDS, main


def test_every_subcommand_has_help(capsys) -> None:  # type: ignore[no-untyped-def]
    for name in COMMANDS:
        cli_name = "import" if name == "import_cmd" else name.replace("_", "-")
        try:
            main([cli_name, "--help"])
        except SystemExit as exc:
            assert exc.code == 0
    assert "usage" in capsys.readouterr().out


def test_bad_flag_is_one_line_exit_2() -> None:
    proc = subprocess.run([sys.executable, "-m", "trainer.cli.main", "record", "--bogus"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
