"""``crmsync approve RUN_ID``: let a mass change the circuit breaker stopped go through.

Marks the run's pending approval requests approved. The next run of the entity (or a
rerun of the same run) then publishes, provided it changes no more records per target
than were approved; otherwise the breaker asks again.
"""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from store.approvals import APPROVED, PENDING, approve, requests_of_run
from sync.context import SyncContext


def add_parser(commands: Any) -> None:
    """Register the ``approve`` command on the CLI's subparsers."""
    approve_cmd = commands.add_parser(
        "approve",
        help="approve the mass change a run was stopped for; the next run then publishes it",
    )
    approve_cmd.add_argument("run_id", help="id of the run the circuit breaker stopped")
    approve_cmd.add_argument("--by", help="who approves (default: the current user)")


def command(args: argparse.Namespace) -> int:
    """Run ``crmsync approve``; exit 0 when something was approved, 1 otherwise."""
    ctx = SyncContext.open(args.config)
    try:
        with ctx.engine.begin() as connection:
            requests = requests_of_run(connection, args.run_id)
            approved = approve(connection, args.run_id, args.by or getpass.getuser())
    finally:
        ctx.close()
    if not requests:
        print(f"crmsync: run {args.run_id} has no mass change waiting for approval")
        return 1
    for request in requests:
        state = APPROVED if request.status == PENDING else request.status
        print(
            f"{request.entity} → {request.target}: {request.changes} changes of "
            f"{request.target_records} records ({state})"
        )
    if approved:
        print(f"approved; the next `crmsync run {requests[0].entity}` publishes them")
    else:
        print("nothing left to approve (already approved or used)")
    return 0
