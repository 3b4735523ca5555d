"""The `course-api` command: users, tokens, categories, migrations and the server."""

import argparse
import json
import os
import signal
import sys

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.auth import issue_token
from api.config import PROJECT_ROOT, ConfigurationError, Settings, check
from api.database import make_engine


def _session(settings: Settings) -> Session:
    return Session(make_engine(settings.database_url))


def upgrade(settings: Settings) -> None:
    from alembic import command
    from alembic.config import Config

    if settings.database_url.startswith("sqlite:///"):
        os.makedirs(os.path.dirname(os.path.abspath(settings.database_url[len("sqlite:///") :])), exist_ok=True)
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = settings.database_url
    command.upgrade(config, "head")


def add_user(settings: Settings, username: str, staff: bool, real_name: str) -> dict:
    from models import User

    with _session(settings) as db:
        user = User(username=username, is_staff=staff, real_name=real_name)
        db.add(user)
        try:
            db.commit()
        except IntegrityError:
            raise SystemExit(f"course-api: a user named {username!r} already exists")
        return {"id": user.id, "username": user.username, "is_staff": user.is_staff}


def ensure_user(settings: Settings, username: str) -> dict:
    """The user's id, creating the user if needed (used by `make run` for the demo user)."""
    from models import User

    with _session(settings) as db:
        user = db.scalar(select(User).where(User.username == username))
        if user is not None:
            return {"id": user.id, "username": user.username, "is_staff": user.is_staff}
    return add_user(settings, username, staff=True, real_name="Demo User")


def add_category(settings: Settings, name: str) -> dict:
    from api.errors import Conflict
    from api.rules.editing import create_category

    with _session(settings) as db:
        try:
            category = create_category(db, name.strip())
            db.commit()
        except Conflict as exc:
            raise SystemExit(f"course-api: {exc.detail}")
        return {"id": category.id, "name": category.name, "slug": category.slug}


def serve(settings: Settings, host: str, port: int, workers: int) -> int:
    import uvicorn

    from api.serving import metrics
    from api.serving import workers as worker_processes
    from api.serving.access_log import log_config

    # Checked here as well as in create_app, so the refusal is one clear line, not a traceback per worker.
    try:
        check(settings)
    except ConfigurationError as exc:
        raise SystemExit(f"course-api: {exc}")
    # The app (built by the factory, in each worker) allows the host it is bound to (api/serving/hosts.py).
    os.environ["HOST"] = host
    # Before prometheus_client is imported here or in a worker: every worker counts into that folder.
    metrics_folder = metrics.multiprocess_folder() if settings.metrics_enabled else None
    options = dict(
        app="api.app:asgi",
        factory=True,
        # httptools with limits on header blocks and on clients that send too little (api/serving/connections.py).
        http="api.serving.connections:GuardedHttpToolsProtocol",
        # Ours instead of uvicorn's access log: JSON lines with the operation, user and request id (ACCESS_LOG).
        access_log=False,
        log_config=log_config(settings.access_log),
        log_level="info",
        # uvicorn would believe X-Forwarded-* from any local client; only TRUST_PROXY may make it (api/urls.py).
        proxy_headers=settings.trust_proxy,
        forwarded_allow_ips="*" if settings.trust_proxy else None,
    )
    try:
        if workers > 1:
            return worker_processes.run(workers, host, port, options)
        if metrics_folder is not None:
            # uvicorn stops on SIGTERM, then raises it again for the handler it found: with Python's
            # default one the process would die before removing the folder below.
            signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
        uvicorn.run(host=host, port=port, **options)
        return 0
    finally:
        metrics.remove_folder(metrics_folder)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course-api", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    users = commands.add_parser("users", help="manage users").add_subparsers(dest="action", required=True)
    add = users.add_parser("add", help="create a user and print it as JSON")
    add.add_argument("username")
    add.add_argument("--staff", action="store_true")
    add.add_argument("--real-name", default="")
    ensure = users.add_parser("ensure", help="print a user as JSON, creating it (as staff) if missing")
    ensure.add_argument("username")

    token = commands.add_parser("token", help="print a signed access token")
    token.add_argument("user_id", type=int)
    token.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds (default 3600)")

    categories = commands.add_parser("categories", help="manage categories").add_subparsers(
        dest="action", required=True
    )
    categories.add_parser("add", help="create a category and print it as JSON").add_argument("name")

    commands.add_parser("db", help="database schema").add_subparsers(dest="action", required=True).add_parser(
        "upgrade", help="apply all migrations"
    )

    run = commands.add_parser("serve", help="serve the API with uvicorn")
    run.add_argument("--host")
    run.add_argument("--port", type=int)
    run.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "1")))

    args = parser.parse_args(argv)
    settings = Settings()
    if args.command == "users":
        result = (
            add_user(settings, args.username, args.staff, args.real_name)
            if args.action == "add"
            else ensure_user(settings, args.username)
        )
        print(json.dumps(result))
    elif args.command == "token":
        print(issue_token(args.user_id, settings.jwt_secret, args.ttl))
    elif args.command == "categories":
        print(json.dumps(add_category(settings, args.name)))
    elif args.command == "db":
        upgrade(settings)
    elif args.command == "serve":
        return serve(settings, args.host or settings.host, args.port or settings.port, args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
