"""HTTP servers on 127.0.0.1 that speak GitHub's, GitLab's, PagerDuty's and Opsgenie's REST APIs as
their documentation describes (pagination, rate-limit replies, errors), for the sync tests.

Nothing here calls a real service. Each server holds its data in plain lists the test fills, logs
every request, and can be told to fail: ``fail_next`` queues replies (status, headers, body) that
are sent before the real answer (a 5xx, a rate-limit reply)."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit


class FakeApi:
    """A JSON API on 127.0.0.1. ``route(method_path, query, headers) -> (status, headers, body)``."""

    def __init__(self, token: str, auth_header: str, auth_value: str):
        self.token, self.auth_header, self.auth_value = token, auth_header, auth_value
        self.requests: list[tuple[str, dict]] = []
        self.fail_next: list[tuple[int, dict, object]] = []
        self.lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                parts = urlsplit(self.path)
                query = {k: v if len(v) > 1 else v[0] for k, v in parse_qs(parts.query).items()}
                with api.lock:
                    api.requests.append((parts.path, query))
                    queued = api.fail_next.pop(0) if api.fail_next else None
                if queued is not None:
                    status, headers, body = queued
                elif self.headers.get(api.auth_header) != api.auth_value:
                    status, headers, body = 401, {}, {"message": "Bad credentials"}
                else:
                    status, headers, body = api.route(parts.path, query)
                raw = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for k, v in headers.items():
                    self.send_header(k, str(v))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def paths(self) -> list[str]:
        return [p for p, _ in self.requests]

    def route(self, path: str, query: dict):
        return 404, {}, {"message": "Not Found"}

    # -- shared pagination -----------------------------------------------------------------------

    def link_page(self, path: str, query: dict, items: list) -> tuple[int, dict, object]:
        """``items`` paged by ``page``/``per_page`` with an RFC 8288 ``Link`` header (GitHub)."""
        per_page = int(query.get("per_page", 30))
        page = int(query.get("page", 1))
        chunk = items[(page - 1) * per_page: page * per_page]
        links = []
        last = max(1, -(-len(items) // per_page))
        if page < last:
            links.append(f'<{self.url}{path}?{urlencode({**query, "page": page + 1})}>; rel="next"')
            links.append(f'<{self.url}{path}?{urlencode({**query, "page": last})}>; rel="last"')
        return 200, ({"Link": ", ".join(links)} if links else {}), chunk


# ---------------------------------------------------------------------------------------------


class FakeGitHub(FakeApi):
    """``/repos/OWNER/NAME/...``: pulls (sorted by ``updated_at`` desc when asked), reviews,
    deployments (newest first), statuses, Actions runs (``created=>=DATE``)."""

    def __init__(self, repo: str = "acme/shop", token: str = "ghp_test", url: str = ""):
        if url:                                   # one repository of a FakeGitHubOrg, served by it
            self.url, self.token = url, token
        else:
            super().__init__(token, "Authorization", f"Bearer {token}")
        self.repo = repo
        self.pulls: list[dict] = []
        self.reviews: dict[int, list] = {}
        self.deployments: list[dict] = []
        self.statuses: dict[int, list] = {}
        self.runs: list[dict] = []
        self.files: dict[int, list] = {}
        self.sizes: dict[int, tuple] = {}           # number -> (additions, deletions, changed_files) of GET /pulls/N
        self.commits: dict[int, list] = {}          # number -> GET /pulls/N/commits, oldest first
        self.contents: dict[str, str] = {}          # path -> a file's text (CODEOWNERS), served base64

    def route(self, path, query):
        base = f"/repos/{self.repo}"
        if not path.startswith(base):
            return 404, {}, {"message": "Not Found"}
        rest = path[len(base):]
        if rest == "/pulls":
            items = sorted(self.pulls, key=lambda p: p["updated_at"], reverse=query.get("direction") == "desc")
            return self.link_page(path, query, items)
        if rest.startswith("/pulls/") and rest.endswith("/files"):
            return self.link_page(path, query, [{"filename": f, "status": "modified"}
                                                for f in self.files.get(int(rest.split("/")[2]), [])])
        if rest.startswith("/pulls/") and rest.endswith("/commits"):
            return self.link_page(path, query, self.commits.get(int(rest.split("/")[2]), []))
        if rest.startswith("/pulls/") and rest.count("/") == 2:
            match = [p for p in self.pulls if str(p["number"]) == rest.split("/")[2]]
            return (200, {}, self.single_pull(match[0])) if match else (404, {}, {"message": "Not Found"})
        if rest.startswith("/pulls/") and rest.endswith("/reviews"):
            return self.link_page(path, query, self.reviews.get(int(rest.split("/")[2]), []))
        if rest == "/deployments":
            return self.link_page(path, query, sorted(self.deployments, key=lambda d: d["created_at"], reverse=True))
        if rest.startswith("/deployments/") and rest.endswith("/statuses"):
            return self.link_page(path, query, self.statuses.get(int(rest.split("/")[2]), []))
        if rest.startswith("/deployments/"):
            match = [d for d in self.deployments if str(d["id"]) == rest.split("/")[2]]
            return (200, {}, match[0]) if match else (404, {}, {"message": "Not Found"})
        if rest == "/actions/runs":
            since = str(query.get("created", ">=")).lstrip(">=")
            runs = sorted([r for r in self.runs if r["created_at"] >= since], key=lambda r: r["created_at"], reverse=True)
            status, headers, chunk = self.link_page(path, query, runs)
            return status, headers, {"total_count": len(runs), "workflow_runs": chunk}
        if rest.startswith("/contents/"):
            import base64
            name = rest[len("/contents/"):]
            if name not in self.contents:
                return 404, {}, {"message": "Not Found"}
            return 200, {}, {"type": "file", "encoding": "base64", "name": name.rsplit("/", 1)[-1], "path": name,
                             "size": len(self.contents[name]), "sha": "c" * 40,
                             "content": base64.encodebytes(self.contents[name].encode()).decode()}
        if rest.startswith("/actions/runs/"):
            match = [r for r in self.runs if str(r["id"]) == rest.split("/")[3]]
            return (200, {}, match[0]) if match else (404, {}, {"message": "Not Found"})
        return 404, {}, {"message": "Not Found"}

    # -- objects shaped like the REST API's ------------------------------------------------------

    def add_pull(self, number, created, updated, merged=None, login="alice", user_type="User"):
        name = self.repo.split("/")[1]
        self.pulls.append({
            "url": f"{self.url}/repos/{self.repo}/pulls/{number}", "id": 1000 + number, "number": number,
            "state": "closed" if merged else "open", "title": f"Change {number}",
            "user": {"login": login, "id": 7, "type": user_type},
            "created_at": created, "updated_at": updated, "closed_at": merged, "merged_at": merged,
            "base": {"ref": "main", "repo": {"id": 1, "name": name, "full_name": self.repo}},
        })

    def single_pull(self, pull: dict) -> dict:
        """``GET /pulls/N``: the list's object with what only the single PR carries: the count of its
        commits and, when ``sizes`` gives it, its size (GitHub always gives one; the tests that do not
        set it count events of the list's fields alone)."""
        sized = dict(zip(("additions", "deletions", "changed_files"), self.sizes[pull["number"]], strict=True)) \
            if pull["number"] in self.sizes else {}
        return {**pull, **sized, "commits": len(self.commits.get(pull["number"], [])), "merged": bool(pull["merged_at"])}

    def add_commit(self, number, authored, committed=None, login="alice"):
        """A commit of PR ``number`` (``GET /pulls/N/commits``'s shape), listed after the others."""
        sha = f"{number:04d}{len(self.commits.get(number, [])):036d}"
        self.commits.setdefault(number, []).append({
            "url": f"{self.url}/repos/{self.repo}/commits/{sha}", "sha": sha,
            "commit": {"author": {"name": login, "email": f"{login}@example.com", "date": authored},
                       "committer": {"name": login, "email": f"{login}@example.com", "date": committed or authored},
                       "message": f"commit {sha[:7]}", "comment_count": 0},
            "author": {"login": login, "type": "User"}, "committer": {"login": login, "type": "User"},
            "parents": [],
        })

    def add_review(self, number, submitted, login="bob", state="APPROVED"):
        self.reviews.setdefault(number, []).append({
            "id": len(self.reviews.get(number, [])) + 1, "user": {"login": login, "type": "User"},
            "state": state, "submitted_at": submitted,
            "pull_request_url": f"{self.url}/repos/{self.repo}/pulls/{number}",
        })

    def add_deployment(self, ident, created, environment="production", ref="main"):
        self.deployments.append({
            "url": f"{self.url}/repos/{self.repo}/deployments/{ident}", "id": ident, "sha": "a" * 40,
            "ref": ref, "environment": environment, "created_at": created, "updated_at": created,
            "statuses_url": f"{self.url}/repos/{self.repo}/deployments/{ident}/statuses",
            "repository_url": f"{self.url}/repos/{self.repo}",
        })

    def add_status(self, ident, state, created, environment="production"):
        self.statuses.setdefault(ident, []).insert(0, {
            "id": 9000 + len(self.statuses.get(ident, [])), "state": state, "environment": environment,
            "created_at": created, "updated_at": created,
            "deployment_url": f"{self.url}/repos/{self.repo}/deployments/{ident}",
            "repository_url": f"{self.url}/repos/{self.repo}",
        })

    def add_run(self, ident, name, created, updated, status="completed", conclusion="success"):
        self.runs.append({
            "id": ident, "name": name, "workflow_id": 5, "path": f".github/workflows/{name.lower()}.yml",
            "status": status, "conclusion": conclusion if status == "completed" else None,
            "created_at": created, "updated_at": updated,
            "repository": {"name": self.repo.split("/")[1], "full_name": self.repo},
        })


class FakeGitLab(FakeApi):
    """``/projects/:id/...`` with offset pagination (``X-Next-Page``, ``X-Page``, ``X-Total``): merge
    requests, their approvals, notes and diffs (``/merge_requests/:iid/diffs``, 20 files a page unless
    ``per_page`` says), deployments."""

    def __init__(self, project: str = "acme/web", token: str = "glpat-test", url: str = ""):
        if url:                                   # one project of a FakeGitLabGroup, served by it
            self.url, self.token = url, token
        else:
            super().__init__(token, "PRIVATE-TOKEN", token)
        self.project = project
        self.merge_requests: list[dict] = []
        self.approvals: dict[int, dict] = {}
        self.notes: dict[int, list] = {}
        self.diffs: dict[int, list] = {}          # iid -> paths, or (old_path, new_path) for a rename, or (old, new, diff text)
        self.commits: dict[int, list] = {}        # iid -> /merge_requests/:iid/commits, newest first as GitLab lists them
        self.deployments: list[dict] = []
        self.contents: dict[str, str] = {}          # path -> a file's text (CODEOWNERS) on main, served base64

    def offset_page(self, query, items):
        per_page, page = int(query.get("per_page", 20)), int(query.get("page", 1))
        chunk = items[(page - 1) * per_page: page * per_page]
        more = page * per_page < len(items)
        return 200, {"X-Page": page, "X-Per-Page": per_page, "X-Total": len(items),
                     "X-Next-Page": page + 1 if more else ""}, chunk

    def route(self, path, query):
        from urllib.parse import quote
        base = f"/projects/{quote(self.project, safe='')}"
        raw_base = f"/projects/{self.project}"
        if path in (base, raw_base):
            return 200, {}, {"id": 42, "path": self.project.rsplit("/", 1)[-1], "path_with_namespace": self.project,
                             "default_branch": "main"}
        rest = path[len(base):] if path.startswith(base) else path[len(raw_base):] if path.startswith(raw_base) else None
        if rest is None:
            return 404, {}, {"message": "404 Project Not Found"}
        after = query.get("updated_after", "")
        if rest == "/merge_requests":
            items = sorted([m for m in self.merge_requests if m["updated_at"] > after], key=lambda m: m["updated_at"])
            return self.offset_page(query, items)
        if rest.endswith("/approvals"):
            return 200, {}, self.approvals.get(int(rest.split("/")[2]), {"approved_by": []})
        if rest.endswith("/notes"):
            return self.offset_page(query, self.notes.get(int(rest.split("/")[2]), []))
        if rest.startswith("/merge_requests/") and rest.endswith("/commits"):
            return self.offset_page(query, self.commits.get(int(rest.split("/")[2]), []))
        if rest.startswith("/merge_requests/") and rest.endswith("/diffs"):
            return self.offset_page(query, [self.diff(f) for f in self.diffs.get(int(rest.split("/")[2]), [])])
        if rest.startswith("/repository/files/"):
            import base64
            from urllib.parse import unquote
            name = unquote(rest[len("/repository/files/"):])
            if query.get("ref") != "main" or name not in self.contents:
                return 404, {}, {"message": "404 File Not Found"}
            return 200, {}, {"file_name": name.rsplit("/", 1)[-1], "file_path": name, "size": len(self.contents[name]),
                             "encoding": "base64", "ref": "main", "blob_id": "d" * 40,
                             "content": base64.b64encode(self.contents[name].encode()).decode()}
        if rest == "/deployments":
            items = sorted([d for d in self.deployments if d["updated_at"] > after], key=lambda d: d["updated_at"])
            return self.offset_page(query, items)
        return 404, {}, {"message": "404 Not Found"}

    def add_merge_request(self, iid, created, updated, merged=None, username="carol"):
        self.merge_requests.append({
            "id": 500 + iid, "iid": iid, "project_id": 42, "title": f"MR {iid}", "state": "merged" if merged else "opened",
            "created_at": created, "updated_at": updated, "merged_at": merged,
            "author": {"id": 3, "username": username, "bot": False},
            "web_url": f"https://gitlab.example.com/{self.project}/-/merge_requests/{iid}",
        })

    @staticmethod
    def diff(path) -> dict:
        """One item of ``/merge_requests/:iid/diffs``: a changed file (or a rename, ``(old, new)``; or
        ``(old, new, diff)`` with its diff text; else one line replaced)."""
        old, new, text = path if isinstance(path, tuple) and len(path) == 3 else \
            (*(path if isinstance(path, tuple) else (path, path)), "@@ -1 +1 @@\n-a\n+b\n")
        return {"old_path": old, "new_path": new, "a_mode": "100644", "b_mode": "100644", "new_file": False,
                "renamed_file": old != new, "deleted_file": False, "generated_file": False, "diff": text}

    def add_commit(self, iid, authored, committed=None, name="Carol"):
        """A commit of merge request ``iid`` as ``/merge_requests/:iid/commits`` lists it (newest first:
        each added goes in front)."""
        sha = f"{iid:04d}{len(self.commits.get(iid, [])):036d}"
        self.commits.setdefault(iid, []).insert(0, {
            "id": sha, "short_id": sha[:8], "title": f"commit {sha[:8]}", "message": f"commit {sha[:8]}",
            "author_name": name, "author_email": f"{name.lower()}@example.com", "authored_date": authored,
            "committer_name": name, "committer_email": f"{name.lower()}@example.com",
            "committed_date": committed or authored, "created_at": committed or authored, "parent_ids": [],
            "web_url": f"https://gitlab.example.com/{self.project}/-/commit/{sha}"})

    def add_deployment(self, ident, created, finished, status="success", environment="production", ref="main"):
        self.deployments.append({
            "id": ident, "iid": ident, "ref": ref, "sha": "b" * 40, "created_at": created, "updated_at": finished,
            "finished_at": finished if status in ("success", "failed") else None, "status": status,
            "environment": {"id": 1, "name": environment},
            "deployable": {"id": 77, "status": status, "web_url": f"https://gitlab.example.com/{self.project}/-/jobs/77",
                           "pipeline": {"id": 8, "web_url": f"https://gitlab.example.com/{self.project}/-/pipelines/8"}},
        })


class FakeGitHubOrg(FakeApi):
    """An organisation: ``/orgs/ORG/repos`` (``type``, ``per_page``/``page`` with ``Link``), its
    teams (``/orgs/ORG/teams``, ``/orgs/ORG/teams/SLUG/repos``), and each repository's
    ``/repos/ORG/NAME/...`` answered by a ``FakeGitHub`` of its own (``add_repo``). Another
    organisation is 404, as GitHub answers one the token cannot see."""

    def __init__(self, org: str = "acme", token: str = "ghp_test"):
        super().__init__(token, "Authorization", f"Bearer {token}")
        self.org = org
        self.repos: dict[str, FakeGitHub] = {}
        self.listing: list[dict] = []
        self.teams: dict[str, list] = {}           # slug -> the repositories' full names

    def add_repo(self, name: str, archived: bool = False, fork: bool = False) -> FakeGitHub:
        full_name = f"{self.org}/{name}"
        self.repos[full_name] = FakeGitHub(full_name, self.token, url=self.url)
        self.listing.append({
            "id": 100 + len(self.listing), "node_id": f"R_{name}", "name": name, "full_name": full_name,
            "owner": {"login": self.org, "type": "Organization"}, "private": False, "fork": fork,
            "archived": archived, "disabled": False, "default_branch": "main",
            "url": f"{self.url}/repos/{full_name}", "created_at": "2023-01-01T00:00:00Z",
            "updated_at": "2024-03-01T00:00:00Z", "pushed_at": "2024-03-01T00:00:00Z",
        })
        return self.repos[full_name]

    def route(self, path, query):
        org = f"/orgs/{self.org}"
        if path.lower() == f"{org}/repos".lower():
            return self.link_page(path, query, self.listing)
        if path == f"{org}/teams":
            return self.link_page(path, query, [{"id": n, "name": slug.title(), "slug": slug, "privacy": "closed",
                                                 "permission": "pull"} for n, slug in enumerate(self.teams, 1)])
        if path.startswith(f"{org}/teams/") and path.endswith("/repos"):
            slug = path.split("/")[4]
            if slug not in self.teams:
                return 404, {}, {"message": "Not Found"}
            return self.link_page(path, query, [r for r in self.listing if r["full_name"] in self.teams[slug]])
        for full_name, repo in self.repos.items():
            if path == f"/repos/{full_name}" or path.startswith(f"/repos/{full_name}/"):
                return repo.route(path, query)
        return 404, {}, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}

    def requests_of(self, full_name: str) -> list:
        """The paths asked of one repository."""
        return [p for p in self.paths() if p.startswith(f"/repos/{full_name}/")]


class FakeGitLabGroup(FakeApi):
    """A group and its subgroups: ``/groups/:id/projects`` (the id its URL-encoded full path;
    ``include_subgroups=true`` adds the subgroups' projects; offset pagination with ``X-Next-Page``),
    and each project's ``/projects/:id/...`` answered by a ``FakeGitLab`` of its own."""

    def __init__(self, group: str = "acme", token: str = "glpat-test"):
        super().__init__(token, "PRIVATE-TOKEN", token)
        self.group = group
        self.projects: dict[str, FakeGitLab] = {}
        self.listing: list[dict] = []

    def add_project(self, path_with_namespace: str, archived: bool = False, fork: bool = False) -> FakeGitLab:
        namespace, path = path_with_namespace.rsplit("/", 1)
        self.projects[path_with_namespace] = FakeGitLab(path_with_namespace, self.token, url=self.url)
        self.listing.append({
            "id": 40 + len(self.listing), "name": path.title(), "path": path, "path_with_namespace": path_with_namespace,
            "name_with_namespace": path_with_namespace.replace("/", " / "), "archived": archived,
            "default_branch": "main", "web_url": f"https://gitlab.example.com/{path_with_namespace}",
            "namespace": {"id": 7, "name": namespace.rsplit("/", 1)[-1], "path": namespace.rsplit("/", 1)[-1],
                          "kind": "group", "full_path": namespace},
            **({"forked_from_project": {"id": 1, "path_with_namespace": "someone/" + path}} if fork else {}),
        })
        return self.projects[path_with_namespace]

    def route(self, path, query):
        from urllib.parse import quote, unquote
        if path == f"/groups/{quote(self.group, safe='')}/projects" or path == f"/groups/{self.group}/projects":
            deep = str(query.get("include_subgroups", "false")).lower() == "true"
            items = [p for p in self.listing if p["namespace"]["full_path"] == self.group or
                     (deep and p["namespace"]["full_path"].startswith(self.group + "/"))]
            return FakeGitLab.offset_page(self, query, items)
        if path.startswith("/projects/"):
            wanted = unquote(path.split("/")[2])
            for full, project in self.projects.items():
                if wanted == full:
                    return project.route(path, query)
        if path.startswith("/groups/"):
            return 404, {}, {"message": "404 Group Not Found"}
        return 404, {}, {"message": "404 Project Not Found"}


class FakePagerDuty(FakeApi):
    """``/incidents`` filtered by ``since``/``until`` on ``created_at``, offset/limit with ``more``;
    ``/incidents/ID``."""

    def __init__(self, token: str = "pd-test"):
        super().__init__(token, "Authorization", f"Token token={token}")
        self.incidents: list[dict] = []

    def route(self, path, query):
        if path == "/incidents":
            since, until = query.get("since", ""), query.get("until", "9999")
            items = sorted([i for i in self.incidents if since <= i["created_at"] < until], key=lambda i: i["created_at"])
            ids = query.get("service_ids[]")
            if ids:
                ids = [ids] if isinstance(ids, str) else ids
                items = [i for i in items if i["service"]["id"] in ids]
            offset, limit = int(query.get("offset", 0)), int(query.get("limit", 25))
            chunk = items[offset: offset + limit]
            return 200, {}, {"incidents": chunk, "limit": limit, "offset": offset, "total": None,
                             "more": offset + limit < len(items)}
        if path.startswith("/incidents/"):
            match = [i for i in self.incidents if i["id"] == path.split("/")[2]]
            return (200, {}, {"incident": match[0]}) if match else (404, {}, {"error": {"message": "Not Found"}})
        return 404, {}, {"error": {"message": "Not Found"}}

    def add_incident(self, ident, created, resolved=None, service="Checkout API", service_id="PSVC1", urgency="high"):
        self.incidents.append({
            "id": ident, "type": "incident", "incident_number": len(self.incidents) + 1, "title": f"Incident {ident}",
            "created_at": created, "status": "resolved" if resolved else "triggered", "urgency": urgency,
            "resolved_at": resolved, "last_status_change_at": resolved or created,
            "service": {"id": service_id, "type": "service_reference", "summary": service},
        })


class FakeOpsgenie(FakeApi):
    """``/v1/incidents`` with ``query=createdAt>EPOCH_MS``, offset/limit and ``paging.next``;
    ``/v1/incidents/ID``."""

    def __init__(self, token: str = "og-test"):
        super().__init__(token, "Authorization", f"GenieKey {token}")
        self.incidents: list[dict] = []

    def route(self, path, query):
        from datetime import datetime
        if path == "/v1/incidents":
            after = 0
            q = str(query.get("query", ""))
            if q.startswith("createdAt>"):
                after = int(q.split(">", 1)[1])

            def ms(text):
                return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)
            items = sorted([i for i in self.incidents if ms(i["createdAt"]) > after], key=lambda i: i["createdAt"])
            offset, limit = int(query.get("offset", 0)), int(query.get("limit", 20))
            chunk = items[offset: offset + limit]
            paging = {"first": f"{self.url}/v1/incidents?{urlencode({**query, 'offset': 0})}"}
            if offset + limit < len(items):
                paging["next"] = f"{self.url}/v1/incidents?{urlencode({**query, 'offset': offset + limit})}"
            return 200, {}, {"data": chunk, "paging": paging, "took": 0.01, "requestId": "r1"}
        if path.startswith("/v1/incidents/"):
            match = [i for i in self.incidents if i["id"] == path.split("/")[3]]
            return (200, {}, {"data": match[0], "took": 0.01, "requestId": "r2"}) if match else \
                (404, {}, {"message": "Incident not found", "took": 0.0, "requestId": "r3"})
        return 404, {}, {"message": "Not Found"}


def wait_until(predicate, seconds: float = 5.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return False
