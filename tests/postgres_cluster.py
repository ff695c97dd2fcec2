"""A throwaway PostgreSQL cluster for the tests: ``initdb`` and ``pg_ctl`` into a directory, on a free
loopback port, with a superuser ``postgres`` whose password is checked (scram-sha-256) on TCP.

The binaries come from PATH or else from the newest ``/usr/lib/postgresql/*/bin`` (where Debian's
``postgresql`` package puts them; ``make postgres`` installs it). PostgreSQL refuses to run as root,
so as root the directory is handed to the ``postgres`` user and every command runs through
``runuser -u postgres --``. Every command has a timeout; a failure is one sentence naming the command
and the tail of its output or of the server's log.

For speed the server runs with ``fsync=off`` and ``full_page_writes=off``: a stopped or killed server
keeps every committed row (each commit still writes its WAL to the kernel), only a crash of the
machine itself could lose them. ``synchronous_commit`` stays on for that reason.
"""
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

HOST = "127.0.0.1"
SUPERUSER = "postgres"
TOOLS = ("initdb", "pg_ctl", "postgres")
DEBIAN_BINARIES = Path("/usr/lib/postgresql")
COMMAND_TIMEOUT = 60      # seconds for initdb and for pg_ctl itself
SERVER_WAIT = 30          # seconds pg_ctl -w waits for the server to start or stop
SOCKET_PATH_LIMIT = 100   # a unix socket's path must fit in 107 bytes (with its file name)
SETTINGS = {              # appended to postgresql.conf: loopback only, fast, quiet
    "listen_addresses": f"'{HOST}'",
    "fsync": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "logging_collector": "off",
    "log_min_messages": "warning",
}


class ClusterError(RuntimeError):
    """The cluster could not be found, started, stopped or reached (the message is one sentence)."""


class PostgresNotFound(ClusterError):
    """Neither PATH nor /usr/lib/postgresql/*/bin holds initdb, pg_ctl and postgres."""


def find_binaries() -> Path:
    """The directory holding initdb, pg_ctl and postgres: PATH first, else the newest Debian version."""
    on_path = [shutil.which(tool) for tool in TOOLS]
    if all(on_path):
        directories = {Path(found).resolve().parent for found in on_path}
        if len(directories) == 1:
            return directories.pop()
    def version(directory):
        return tuple(int(part) for part in re.findall(r"\d+", directory.parent.name)) or (0,)
    candidates = [directory for directory in DEBIAN_BINARIES.glob("*/bin")
                  if all((directory / tool).is_file() for tool in TOOLS)]
    if candidates:
        return max(candidates, key=version)
    if all(on_path):   # on PATH but not side by side (unusual installs): trust PATH's initdb
        return Path(on_path[0]).resolve().parent
    raise PostgresNotFound(
        "PostgreSQL's initdb, pg_ctl and postgres are neither on PATH nor under "
        f"{DEBIAN_BINARIES}/*/bin: run `make postgres` (it installs Debian's postgresql package).")


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def tail(text: str, lines: int = 12) -> str:
    """The last lines of a command's output or a log, on one line each, for an error sentence."""
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()][-lines:]
    return " | ".join(kept) if kept else "(no output)"


@dataclass
class Cluster:
    """A running (or stopped) throwaway cluster: its directory, port and superuser's password."""
    directory: Path
    binaries: Path
    port: int
    password: str
    as_postgres_user: bool
    user: str = SUPERUSER
    host: str = HOST

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def socket_directory(self) -> Path:
        return self.directory / "socket"

    @property
    def log(self) -> Path:
        return self.directory / "server.log"

    def url(self, database: str) -> str:
        """The SQLAlchemy/psycopg URL of DATABASE on this cluster, as the superuser, over TCP."""
        return f"postgresql://{self.user}:{quote(self.password, safe='')}@{self.host}:{self.port}/{database}"

    @property
    def admin_url(self) -> str:
        """The URL of the ``postgres`` maintenance database (for creating and dropping databases)."""
        return self.url("postgres")

    def run(self, tool: str, *args: str, timeout: float = COMMAND_TIMEOUT) -> subprocess.CompletedProcess:
        """Run one of PostgreSQL's programs (as the postgres user when we are root), with a timeout."""
        command = [str(self.binaries / tool), *args]
        if self.as_postgres_user:
            command = ["runuser", "-u", SUPERUSER, "--", *command]
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL, env=dict(os.environ, LC_ALL="C"))
        except subprocess.TimeoutExpired:
            raise ClusterError(f"{tool} {args[0] if args else ''} did not finish within {timeout:.0f} s "
                               f"(server log: {self.log_tail()}).") from None

    def log_tail(self) -> str:
        try:
            return tail(self.log.read_text(errors="replace"))
        except OSError:
            return "(no log)"

    def check(self, result: subprocess.CompletedProcess, what: str) -> None:
        if result.returncode != 0:
            output = tail(result.stderr + result.stdout, 4)
            raise ClusterError(f"{what} failed with exit code {result.returncode} in {self.directory} "
                               f"({output}; server log: {self.log_tail()}).")

    def start(self) -> None:
        """Start the server on the same port with the same data, waiting until it accepts connections."""
        result = self.run("pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w",
                          "-t", str(SERVER_WAIT), timeout=SERVER_WAIT + 15)
        if result.returncode != 0:
            self.run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w", "-t", "10", timeout=20)
            self.check(result, f"pg_ctl start on port {self.port}")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: disconnect clients and shut down cleanly; ``immediate``: as if it
        crashed). Stopping a stopped cluster does nothing."""
        if not self.running():
            return
        result = self.run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w",
                          "-t", str(SERVER_WAIT), timeout=SERVER_WAIT + 15)
        self.check(result, "pg_ctl stop")

    def restart(self) -> None:
        """Stop the server (fast) and start it again on the same port."""
        self.stop()
        self.start()

    def running(self) -> bool:
        """Whether the server is up (``pg_ctl status``)."""
        return self.run("pg_ctl", "status", "-D", str(self.data), timeout=20).returncode == 0

    def connect(self, database: str = "postgres"):
        """A psycopg connection (autocommit) to DATABASE as the superuser."""
        import psycopg
        try:
            return psycopg.connect(self.url(database), autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as error:
            raise ClusterError(f"cannot connect to {database} on {self.host}:{self.port} "
                               f"({tail(str(error), 2)}).") from None

    def create_database(self, name: str) -> str:
        """Create the empty database NAME (UTF8) and return its URL."""
        from psycopg import sql
        with self.connect() as connection:
            connection.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0")
                               .format(sql.Identifier(name)))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop the database NAME if it exists, disconnecting whoever is still connected to it."""
        from psycopg import sql
        with self.connect() as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def remove(self) -> None:
        """Stop the server and delete its directory."""
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


def start_cluster(directory: Path) -> Cluster:
    """Create a cluster in DIRECTORY (empty or missing) and start it on a free loopback port."""
    directory = Path(directory).resolve()
    binaries = find_binaries()
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        raise ClusterError(f"the cluster directory {directory} is not empty.")
    socket_directory = directory / "socket"
    if len(str(socket_directory)) > SOCKET_PATH_LIMIT:
        raise ClusterError(f"the cluster directory {directory} is too long a path for a unix socket "
                           f"(at most {SOCKET_PATH_LIMIT - 7} characters): use a directory under /tmp.")
    socket_directory.mkdir()
    as_postgres_user = os.geteuid() == 0
    cluster = Cluster(directory, binaries, free_port(), secrets.token_urlsafe(18), as_postgres_user)
    password_file = directory / "password"
    password_file.write_text(cluster.password + "\n")
    password_file.chmod(0o600)
    if as_postgres_user:
        hand_to_postgres_user(directory)
    try:
        result = cluster.run("initdb", "-D", str(cluster.data), "-U", SUPERUSER, f"--pwfile={password_file}",
                             "-E", "UTF8", "--locale=C", "--auth-host=scram-sha-256", "--auth-local=trust",
                             "--no-sync")
    finally:
        password_file.unlink()
    cluster.check(result, "initdb")
    settings = dict(SETTINGS, port=str(cluster.port), unix_socket_directories=f"'{socket_directory}'")
    with open(cluster.data / "postgresql.conf", "a") as configuration:
        configuration.write("\n# tests/postgres_cluster.py\n")
        configuration.writelines(f"{name} = {value}\n" for name, value in settings.items())
    cluster.start()
    return cluster


def hand_to_postgres_user(directory: Path) -> None:
    """Give DIRECTORY to the postgres user (we are root) and check that user can reach it."""
    try:
        account = pwd.getpwnam(SUPERUSER)
    except KeyError:
        raise ClusterError(f"PostgreSQL refuses to run as root and there is no {SUPERUSER} user: "
                           "run `make postgres` (Debian's postgresql package creates it).") from None
    for path in [directory, *directory.rglob("*")]:
        os.chown(path, account.pw_uid, account.pw_gid)
    reachable = subprocess.run(["runuser", "-u", SUPERUSER, "--", "test", "-w", str(directory)],
                               capture_output=True, timeout=20).returncode == 0
    if not reachable:
        raise ClusterError(f"the {SUPERUSER} user cannot reach {directory} (a parent directory is "
                           "private to root): use a directory under /tmp.")
