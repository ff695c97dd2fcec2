"""Which repositories a git import reads and the service each one is.

The command line's directories, or with ``--scan`` every repository under them (working trees and
bare repositories, found without running git), each read once. A repository is the service named
after its directory (a bare or mirror repository's less ``.git``) unless ``--service-map NAME=DIR``
names it. Two repositories that would be one service are refused before any is read.
"""
from __future__ import annotations

import os
from pathlib import Path


def is_bare(folder: Path) -> bool:
    """Whether ``folder`` is a bare (or mirror) repository, or a working tree's ``.git``: git's own
    test, a ``HEAD`` file and ``objects`` and ``refs`` folders in it."""
    return (folder / "HEAD").is_file() and (folder / "objects").is_dir() and (folder / "refs").is_dir()


def is_working_tree(folder: Path) -> bool:
    """Whether ``folder`` is a working tree's top: it holds ``.git`` (a folder, or a file as in a
    linked worktree or a submodule)."""
    return (folder / ".git").exists()


def repository_top(path) -> Path:
    """The repository ``path`` is in: the nearest of it and its parents that is a working tree or a
    bare repository (a working tree's ``.git`` is its working tree), resolved; ``path`` resolved
    when it is not a folder in one."""
    here = Path(path).resolve()
    if not here.is_dir():
        return here
    for folder in (here, *here.parents):
        if is_working_tree(folder):
            return folder
        if is_bare(folder):
            return folder.parent if folder.name == ".git" else folder
    return here


def repository_name(path) -> str:
    """The service a repository is by default: the name of its directory (of the working tree's
    top; a bare or mirror repository's less ``.git``)."""
    top = repository_top(path)
    return top.name.removesuffix(".git") or top.name


def scan(folder) -> list[Path]:
    """Every repository under ``folder``, sorted: working trees and bare repositories, neither
    looked inside (a repository's own tree is its own: its submodules and vendored clones are not
    found). Symbolic links are not followed, so nothing outside the folder is read and nothing is
    found twice. A folder the scan cannot open is listed too: reading it says why. A ValueError of
    one sentence when ``folder`` is not a directory or holds no repository."""
    root = Path(folder).resolve()
    if not root.is_dir():
        raise ValueError(f"{folder}: not a directory (--scan looks for repositories under a folder)")
    found, unopened = [], []
    for here, folders, _ in os.walk(root, onerror=lambda e: unopened.append(Path(e.filename)), followlinks=False):
        here = Path(here)
        if is_bare(here) or is_working_tree(here):
            found.append(here)
            folders[:] = []
    if not found and not unopened:
        raise ValueError(f"{folder}: no git repository under it (--scan finds working trees and bare repositories)")
    return sorted(set(found + unopened))


def mapped_names(service_map: dict) -> dict:
    """``--service-map`` (NAME -> directories) as repository -> NAME; a ValueError of one sentence
    for a DIR that is not a directory, a repository given two names, or a name given to two."""
    names: dict = {}
    for name, folders in service_map.items():
        if not name.isprintable():
            raise ValueError(f"--service-map {name!r}: a service's name is printable text, on one line")
        tops = []
        for folder in folders:
            if not Path(folder).is_dir():
                raise ValueError(f"--service-map {name}={folder}: {folder} is not a directory"
                                 if str(folder).isprintable() else f"--service-map {name}={folder!r}: not a directory")
            top = repository_top(folder)
            if names.get(top, name) != name:
                raise ValueError(f"--service-map names {folder} twice: {names[top]!r} and {name!r}")
            names[top] = name
            tops = list(dict.fromkeys([*tops, top]))
        if len(tops) > 1:
            raise ValueError(f"--service-map gives the name {name!r} to two repositories, {tops[0]} and {tops[1]}: "
                             f"one name each")
    return names


def repositories(paths, scan_folders: bool = False, names: dict | None = None, service: str | None = None,
                 monorepo: bool = False) -> list[Path]:
    """The repositories an import reads for the command line's ``paths``: each once, in the order
    given (``scan_folders``: every repository under each path, sorted). ``names`` (repository ->
    service, ``mapped_names``) must each name one of them. A ValueError of one sentence, before any
    repository is read, when two would be the same service (the same directory name, one
    ``--service-map`` name, or ``service``, every event's), or when a monorepo's ``--service-path``
    would split several repositories into the same services, or when a path is not a directory."""
    names = dict(names or {})
    found: list[Path] = []
    for path in paths:
        if not scan_folders and not Path(path).is_dir():
            raise ValueError(f"{path}: not a directory (the git importer reads a repository's directory)")
        found += scan(path) if scan_folders else [repository_top(path)]
    found = list(dict.fromkeys(found))
    unknown = [folder for folder in names if folder not in found]
    if unknown:
        raise ValueError(f"--service-map names {unknown[0]}, which is not one of the repositories imported "
                         f"({', '.join(map(str, found[:3]))}{', ...' if len(found) > 3 else ''})")
    if monorepo and len(found) > 1:
        raise ValueError(f"--service-path splits one repository into services, and {found[0]} and {found[1]} "
                         f"would both be split into the same ones: import them one at a time")
    seen: dict = {}
    for repo in found:
        name = service or names.get(repo) or repository_name(repo)
        if name in seen:
            why = " (--service gives every event one service)" if service else ""
            raise ValueError(f"{seen[name]} and {repo} would both be service {name!r}{why}: "
                             f"name them apart with --service-map NAME=DIR")
        seen[name] = repo
    return found


def found_line(paths, found) -> str:
    """What ``--scan`` says it found: "found 3 repositories under org/" (the folders as given)."""
    return f"found {len(found)} {'repository' if len(found) == 1 else 'repositories'} under {', '.join(map(str, paths))}"
