"""A real BottleCRM (``django-crm`` 1.35.0) on loopback for the end-to-end tests.

First use (about a minute and a half): build the venv ``.state/peers/bottlecrm-venv``
(Python 3.12) from ``requirements-bottlecrm.lock``, run ``django-admin migrate`` on an
empty SQLite file and snapshot it under ``.state/peers/bottlecrm-snapshot/``. Every later
start restores the snapshot, creates a superuser, an org, an ADMIN profile and a
personal access token (``bcrm_pat_...``), and serves the API with gunicorn on a free port.

By hand::

    python -m tests.e2e.peers.bottlecrm start    # prints URL and token as JSON
    python -m tests.e2e.peers.bottlecrm status
    python -m tests.e2e.peers.bottlecrm stop
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.peers import common

SETTINGS_FILE = common.PEERS_DIR / "bottlecrm_settings.py"
SETTINGS_MODULE = "bottlecrm_settings"
LOCK = common.PEERS_DIR / "requirements-bottlecrm.lock"
VENV = common.STATE / "bottlecrm-venv"
SNAPSHOT_DIR = common.STATE / "bottlecrm-snapshot"
SNAPSHOT = SNAPSHOT_DIR / "bottlecrm.sqlite3"
SNAPSHOT_META = SNAPSHOT_DIR / "meta.json"
RUN_DIR = common.STATE / "bottlecrm-run"
"""Default runtime folder (database copy, settings, pid file, log) for the CLI."""

ADMIN_EMAIL = "admin@example.com"
ORG_NAME = "Crmsync E2E"

SEED_SCRIPT = """
import json, django
django.setup()
from common.models import Org, PersonalAccessToken, Profile, User
user = User.objects.create_superuser(email=%(email)r, password=None)
org = Org.objects.create(name=%(org)r, company_name=%(org)r)
profile = Profile.objects.create(
    user=user, org=org, role="ADMIN", is_organization_admin=True,
    has_sales_access=True, has_marketing_access=True,
)
raw, _pat = PersonalAccessToken.generate(profile, "crmsync-e2e")
print(json.dumps({"token": raw, "org_id": str(org.id), "profile_id": str(profile.id),
                  "user_id": str(user.id)}))
"""
"""Run by BottleCRM's own interpreter after ``django.setup()``; prints JSON."""


@dataclass
class BottleCrmServer:
    """A running BottleCRM: where it is and how to authenticate.

    Attributes:
        url: server root, e.g. ``http://127.0.0.1:41235``.
        token: raw personal access token (``bcrm_pat_...``) of an org ADMIN.
        org_id: the org's UUID (every API call is scoped to it by the token).
        email: the token owner's e-mail.
        pid: process-group id of gunicorn.
        run_dir: folder with the database copy, settings, pid file and log.
    """

    url: str
    token: str
    org_id: str
    email: str
    pid: int
    run_dir: Path

    def client(self, token: str | None = None) -> httpx.Client:
        """Return an httpx client on ``/api/`` sending ``Authorization: Bearer <token>``.

        Args:
            token: another token to send (e.g. a wrong one); default the admin's.
        """
        return bottlecrm_client(self.url, token or self.token)

    def stop(self) -> None:
        """Stop gunicorn's process group."""
        common.stop_process(self.run_dir / "gunicorn.pid")


def bottlecrm_client(url: str, token: str, timeout: float = 30) -> httpx.Client:
    """Return an httpx client with base URL ``<url>/api/`` and the bearer token set."""
    return httpx.Client(
        base_url=f"{url.rstrip('/')}/api/",
        timeout=timeout,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )


def _prepare(run_dir: Path) -> dict[str, str]:
    """Lay out ``run_dir`` and return the environment for django-admin/gunicorn.

    The settings file is copied into its own folder: putting ``tests/e2e/peers`` on
    ``PYTHONPATH`` would let our ``common.py`` shadow BottleCRM's ``common`` app.
    """
    settings_dir = run_dir / "settings"
    settings_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(SETTINGS_FILE, settings_dir / f"{SETTINGS_MODULE}.py")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV")
    }
    env.update(
        {
            "PYTHONPATH": str(settings_dir),
            "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
            "BOTTLECRM_DB": str(run_dir / "bottlecrm.sqlite3"),
            "BOTTLECRM_MEDIA": str(run_dir / "media"),
            "PYTHONWARNINGS": "ignore",
        }
    )
    return env


def _snapshot_key() -> dict[str, str]:
    return {"lock": common.sha256_file(LOCK), "settings": common.sha256_file(SETTINGS_FILE)}


def ensure_snapshot() -> None:
    """Build the venv and the migrated database snapshot unless both are current."""
    with common.file_lock(common.STATE / "bottlecrm.lock"):
        bin_dir = common.ensure_venv(VENV, "3.12", LOCK)
        if (
            SNAPSHOT.exists()
            and SNAPSHOT_META.exists()
            and json.loads(SNAPSHOT_META.read_text()) == _snapshot_key()
        ):
            return
        started = time.monotonic()
        build = common.STATE / "bottlecrm-build"
        if build.exists():
            shutil.rmtree(build)
        env = _prepare(build)
        common.log("migrating the BottleCRM database (django-admin migrate, ~90 s)")
        common.run([str(bin_dir / "django-admin"), "migrate", "--noinput"], env=env, cwd=build)
        common.snapshot(build / "bottlecrm.sqlite3", SNAPSHOT)
        SNAPSHOT_META.write_text(json.dumps(_snapshot_key()))
        shutil.rmtree(build)
        common.log(f"BottleCRM snapshot ready in {time.monotonic() - started:.1f} s")


def _seed(bin_dir: Path, env: dict[str, str], run_dir: Path) -> dict[str, str]:
    """Run :data:`SEED_SCRIPT` with BottleCRM's interpreter; return its JSON output."""
    out = common.run(
        [str(bin_dir / "python"), "-c", SEED_SCRIPT % {"email": ADMIN_EMAIL, "org": ORG_NAME}],
        env=env,
        cwd=run_dir,
    )
    try:
        return dict(json.loads(out.strip().splitlines()[-1]))
    except (ValueError, IndexError) as exc:
        raise common.PeerError(f"seed script printed no JSON: {out[-200:]!r}") from exc


def run_django(run_dir: Path, code: str, timeout: float = 900) -> str:
    """Run Python ``code`` with BottleCRM's interpreter and settings; return its stdout.

    ``code`` must call ``django.setup()`` itself. For bulk seeding (benchmarks): the ORM
    writes thousands of records in seconds where the API takes minutes.
    """
    env = _prepare(run_dir)
    return common.run(
        [str(VENV / "bin" / "python"), "-c", code], env=env, cwd=run_dir, timeout=timeout
    )


def start(run_dir: Path = RUN_DIR) -> BottleCrmServer:
    """Restore the snapshot into ``run_dir``, seed an admin token, start gunicorn.

    Any server still recorded in ``run_dir`` is stopped first.

    Raises:
        common.PeerError: set-up or start failed (the message says why).
    """
    ensure_snapshot()
    pid_file = run_dir / "gunicorn.pid"
    common.stop_process(pid_file)
    common.restore(SNAPSHOT, run_dir / "bottlecrm.sqlite3")
    env = _prepare(run_dir)
    bin_dir = VENV / "bin"
    # gunicorn boots (imports Django, ~3.5 s) while the seed script runs (~4 s).
    port = common.free_port()
    proc = common.start_process(
        [
            str(bin_dir / "gunicorn"),
            "crm.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "4",
            "--timeout",
            "120",
            "--no-control-socket",
        ],
        env=env,
        cwd=run_dir,
        pid_file=pid_file,
        log_file=run_dir / "gunicorn.log",
    )
    url = f"http://127.0.0.1:{port}"
    try:
        seeded = _seed(bin_dir, env, run_dir)
        common.wait_http(f"{url}/healthz/", proc=proc.popen, timeout=90)
    except common.PeerError as exc:
        common.stop_process(pid_file)
        raise common.PeerError(f"BottleCRM did not start: {exc}; see {proc.log_file}") from exc
    server = BottleCrmServer(url, seeded["token"], seeded["org_id"], ADMIN_EMAIL, proc.pid, run_dir)
    (run_dir / "server.json").write_text(json.dumps(asdict(server), default=str))
    return server


def status(run_dir: Path = RUN_DIR) -> dict[str, Any] | None:
    """Describe the server recorded in ``run_dir`` (with RSS), or None if not running."""
    return common.describe_server(
        run_dir,
        "gunicorn.pid",
        lambda url: {"healthz": httpx.get(f"{url}/healthz/", timeout=5).status_code},
    )


def main(argv: list[str] | None = None) -> int:
    """CLI: ``python -m tests.e2e.peers.bottlecrm start|stop|status|init``."""
    return common.peer_cli(
        "bottlecrm",
        argv if argv is not None else sys.argv[1:],
        init=ensure_snapshot,
        start=start,
        pid_file=RUN_DIR / "gunicorn.pid",
        status=status,
    )


if __name__ == "__main__":
    sys.exit(main())
