"""The ``immersion`` command group: errors become one line on stderr and a non-zero exit."""

from __future__ import annotations

from typing import Any

import click

from ..errors import ImmersionError
from .dashboard import dashboard, report
from .demo import demo
from .doctor import doctor
from .library import sessions, videos
from .maintenance import maintenance
from .stats import stats
from .transfer import export, import_, import_subminer_command, migrate
from .trends import trends
from .watch import attach, watch


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ImmersionError as exc:
            # Our errors are written for people: one line, no traceback.
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="immersion-tracker", prog_name="immersion")
def main() -> None:
    """Track language immersion in video with subtitles, and see what you did."""


main.add_command(demo)
main.add_command(stats)
main.add_command(sessions)
main.add_command(videos)
main.add_command(trends)
main.add_command(maintenance)
main.add_command(doctor)
main.add_command(watch)
main.add_command(attach)
main.add_command(dashboard)
main.add_command(report)
main.add_command(migrate)
main.add_command(import_subminer_command)
main.add_command(export)
main.add_command(import_)
