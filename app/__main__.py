"""The command line's entry point: ``portal …`` and ``python -m app …``.

Kept free of imports on purpose. ``portal serve`` starts its web workers (uvicorn) and their PDF
renderer processes with ``spawn``, and a spawned child imports its parent's main module before
anything else: importing the commands here would load every one of them (seed data, Alembic,
the benchmark seeder …) into every worker and renderer.
"""

from __future__ import annotations


def main() -> None:
    # Imported when a command runs, not above: this module is every spawned child's main module.
    from app.cli import main as run_command

    run_command()


if __name__ == "__main__":
    main()
