"""``python -m metrics users``: the dashboard's users and roles for ``METRICS_AUTH=basic``."""
from __future__ import annotations

import getpass
import sys

from ..console import Parser, UsageError


# the actions of ``users``: name, its words after the name, what it does (the parser's choices, its
# description and its help are all made from this table)
ACTIONS = (
    ("add", "NAME --role viewer|editor [--password-stdin]", "add a user"),
    ("list", "", "list the users"),
    ("remove", "NAME", "remove a user (their sessions end)"),
    ("set-role", "NAME ROLE", "set a user's role"),
    ("set-password", "NAME [--password-stdin]", "set a user's password (their sessions end)"),
    ("sign-out", "NAME", "sign a user out everywhere: every session of theirs, in every worker, ends now"),
)


def run_users(argv, out=None, stdin=None) -> int:
    """``python -m metrics users ACTION ...`` (``ACTIONS``): the dashboard's users (``METRICS_AUTH=basic``)
    and everyone's sessions; each change is recorded in the audit trail."""
    from .. import users
    out = sys.stdout if out is None else out
    stdin = sys.stdin if stdin is None else stdin
    p = Parser(prog="python -m metrics users",
               description="Dashboard users and roles (METRICS_AUTH=basic) and sign-in sessions: "
                           + "; ".join(f"{name} {words}".strip() + f": {what}" for name, words, what in ACTIONS) + ".")
    p.add_argument("action", choices=tuple(name for name, _, _ in ACTIONS),
                   help="what to do (each is said above)")
    p.add_argument("name", nargs="?", help="the user's name (every action but list)")
    p.add_argument("role_value", nargs="?", metavar="ROLE", help="for set-role: viewer or editor")
    p.add_argument("--role", choices=users.ROLES, help="for add: viewer (reads) or editor (also writes)")
    p.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    args = p.parse_args(argv)
    from .. import store  # the store (pandas) after the words are parsed: --help needs none of it
    path = users.users_path(store.data_dir())
    try:
        if args.action == "list":
            found = users.listing(path)
            if not found:
                print(f"No users in {path} (add one: python -m metrics users add NAME --role editor)", file=out)
            for name, role, created in found:
                print(f"{name}\t{role}\tcreated {created}", file=out)
            return 0
        if not args.name:
            raise UsageError(f"users {args.action} needs a NAME")
        if args.action == "add":
            if not args.role:
                raise UsageError("users add needs --role viewer or --role editor")
            users.check_user_name(args.name)
            users.add(path, args.name, args.role, read_password(args.password_stdin, stdin))
            print(f"Added user {args.name} ({args.role}) to {path}", file=out)
            audited("user add", f"{args.name} ({args.role})")
        elif args.action == "remove":
            users.remove(path, args.name)
            print(f"Removed user {args.name}; their sessions end now", file=out)
            audited("user remove", args.name)
            signed_out(args.name)
        elif args.action == "set-password":
            if users.lookup(path, args.name) is None:
                raise UsageError(f"no user named {args.name!r}")
            users.set_password(path, args.name, read_password(args.password_stdin, stdin))
            print(f"New password for {args.name}; their sessions from before end now", file=out)
            audited("user set-password", args.name)
            signed_out(args.name)
        elif args.action == "sign-out":
            if users.lookup(path, args.name) is None and not store.user_has_sessions(args.name):
                raise UsageError(f"no user named {args.name!r} in {path} and no session of theirs")
            ended = signed_out(args.name)
            print(f"Signed {args.name} out everywhere: {ended} session{'' if ended == 1 else 's'} ended", file=out)
        else:
            if not args.role_value:
                raise UsageError("users set-role needs NAME and ROLE (viewer or editor)")
            users.set_role(path, args.name, args.role_value)
            print(f"User {args.name} is now {args.role_value}", file=out)
            audited("user set-role", f"{args.name} ({args.role_value})")
    except (users.UsersError, store.StoreError) as e:
        raise UsageError(str(e)) from None
    return 0


def signed_out(name: str) -> int:
    """End every session of ``name`` (recorded in the audit trail); how many ended. A store that
    cannot do it is an error: the user would stay signed in."""
    from .. import store
    try:
        return store.end_sessions(name)
    except store.StoreError as e:
        raise UsageError(f"the sessions of {name} could not be ended ({e})") from None


def audited(action: str, detail: str) -> None:
    """Record a users change in the audit trail; a store that cannot take it is said, not fatal
    (the change itself is made)."""
    from .. import store
    try:
        store.record_audit(action, detail)
    except store.StoreError as e:
        print(f"warning: the audit trail did not record this ({e})", file=sys.stderr)


def read_password(from_stdin: bool, stdin) -> str:
    """A new password: the first line of ``stdin`` (``--password-stdin``), else typed twice at a prompt."""
    from .. import users
    if from_stdin:
        return users.check_password(stdin.readline().rstrip("\r\n"))
    if not stdin.isatty():
        raise UsageError("no terminal to ask for the password on; pipe it in with --password-stdin")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise UsageError("the two passwords differ; nothing was changed")
    return users.check_password(first)
