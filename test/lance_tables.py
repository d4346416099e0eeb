"""The views, namespaces and jobs of the Lance stand-in (test/lance_server.py) and the
operations on them: materialized_view create and refresh, jobs/describe, table
describe (with its Arrow JSON schema), exists and drop, and namespace table list.
LanceTables is a mixin of LanceApp: it owns reset_state() and `set job=ID state=S`
(ctl_set), and uses the app's settings, counter() and _body()."""

import json
import re
import time
import urllib.parse

from lance_checks import (COMMON_KEYS, DESCRIBE_KEYS, DESCRIBE_QUERY, EXISTS_KEYS, LanceError,
                          bad, check_create, check_keys, check_refresh, query_bool, want_bool,
                          want_int, want_str)
from stand_in import HTTPError, Reply

JOB_TYPE = "materialized_view_refresh"
UNIT_ABBREV = {"SECOND": "s", "MILLISECOND": "ms", "MICROSECOND": "us", "NANOSECOND": "ns"}


def json_arrow_field(f):
    """A decoded field as a JsonArrowField."""
    t = f["type"]
    dt = {"type": t}
    if t.startswith("decimal"):
        dt["type"] = "%s(%d, %d)" % (t, f["precision"], f["scale"])
    elif t == "timestamp":
        unit = UNIT_ABBREV[f["unit"]]
        dt["type"] = "timestamp[%s, tz=%s]" % (unit, f["timezone"]) if f["timezone"] \
            else "timestamp[%s]" % unit
    elif t in ("time32", "time64"):
        dt["type"] = "%s[%s]" % (t, UNIT_ABBREV[f["unit"]])
    elif t == "date32":
        dt["type"] = "date32[day]"
    elif t == "date64":
        dt["type"] = "date64[ms]"
    elif t == "fixed_size_binary":
        dt["length"] = f["byte_width"]
    elif t == "fixed_size_list":
        dt["length"] = f["list_size"]
    if f["children"]:
        dt["fields"] = [json_arrow_field(c) for c in f["children"]]
    out = {"name": f["name"] or "", "nullable": f["nullable"], "type": dt}
    if f.get("metadata"):
        out["metadata"] = f["metadata"]
    return out


class LanceTables:
    """Mixin of LanceApp: views, namespaces and jobs, and the operations on them."""

    def reset_state(self):
        self.views = {}
        self.namespaces = {()}
        self.jobs = {}

    def ctl_set(self, params):
        if "job" not in params:
            return
        job_id = str(params.pop("job"))
        if "state" not in params:
            raise HTTPError(400, "set job=ID needs state=STATE")
        state = str(params.pop("state"))
        if job_id not in self.jobs:
            raise HTTPError(404, "unknown job %r" % job_id)
        self.jobs[job_id]["forced"] = state or None


    def _view(self, ids):
        """The view at ids; 404 code 1 or 4 when missing."""
        if ids[:-1] not in self.namespaces:
            raise LanceError(404, 1, "namespace %s not found" % json.dumps(list(ids[:-1])))
        view = self.views.get(ids)
        if view is None:
            raise LanceError(404, 4, "table %s not found" % json.dumps(list(ids)))
        return view

    # ---- jobs ---------------------------------------------------------------
    def _new_job(self, ids):
        s = self.settings
        job_id = "job-%06d" % self.counter("job")
        self.jobs[job_id] = {
            "job_id": job_id, "view": ids, "t0": time.monotonic(),
            "creation_ms": int(time.time() * 1000),
            "run_ms": s["pending_ms"] + s["executing_ms"], "final_state": s["final_state"],
            "failure": {"phase": s["failure_phase"], "message": s["failure_message"],
                        "retryable": bool(s["failure_retryable"])},
            "forced": None,
        }
        self.views[ids]["jobs"].append(job_id)
        return job_id

    def job_state(self, job):
        if job["forced"]:
            return job["forced"]
        if (time.monotonic() - job["t0"]) * 1000 < job["run_ms"]:
            return "IN_PROGRESS"
        return job["final_state"]

    def _job(self, req):
        body = self._body(req, True, None)
        check_keys(body, {"job_id"})
        job_id = want_str(body, "job_id", "job_id", nullable=False, nonempty=True)
        if job_id is None:
            raise bad("missing required field 'job_id'")
        job = self.jobs.get(job_id)
        if job is None:
            raise LanceError(404, 4, "job %r not found" % job_id)
        state = self.job_state(job)
        out = {"job_id": job_id, "job_type": JOB_TYPE, "job_state": state,
               "creation_ms": job["creation_ms"]}
        if state == "FAILED":
            out["failure"] = dict(job["failure"])
        return Reply.json(200, out)

    def version(self, view):
        return 1 + sum(1 for j in view["jobs"] if self.job_state(self.jobs[j]) == "DONE")

    # ---- materialized views -------------------------------------------------
    def _mv_create(self, req, ids, params):
        if not ids:
            raise bad("a view id needs at least one name")
        body = self._body(req, True, ids)
        fields = check_create(body, ids)
        if ids in self.views:
            raise LanceError(409, 5, "table %s already exists" % json.dumps(list(ids)))
        for i in range(len(ids)):
            self.namespaces.add(ids[:i])
        self.views[ids] = {"body": body, "fields": fields, "jobs": []}
        out = {"version": 1}
        if body.get("with_no_data") is False:
            out["job_id"] = self._new_job(ids)
        elif self.settings["null_job_id"]:
            out["job_id"] = None
        return Reply.json(self.settings["create_status"], out)

    def _mv_refresh(self, req, ids, params):
        body = self._body(req, False, ids)
        check_refresh(body, ids)
        view = self._view(ids)
        if body.get("output_limit") is not None and view["body"]["kind"] != "chunker":
            raise bad("field 'output_limit' is valid for chunker views only; this view's kind"
                      " is %r" % view["body"]["kind"])
        return Reply.json(202, {"job_id": self._new_job(ids)})

    # ---- tables ---------------------------------------------------------------
    def _location(self, ids):
        return "memory://%s/%s.lance" % (self.settings["database"] or "default",
                                         "/".join(urllib.parse.quote(n, safe="") for n in ids))

    def _properties(self, view):
        b = view["body"]
        props = {"materialized_view": "true", "materialized_view.kind": b["kind"],
                 "materialized_view.source_query": b["source_query"],
                 "materialized_view.output_schema": b["output_schema"],
                 "materialized_view.auto_refresh": "true" if b.get("auto_refresh") else "false",
                 "materialized_view.with_no_data":
                     "false" if b.get("with_no_data") is False else "true"}
        if view["jobs"]:
            props["materialized_view.last_job_id"] = view["jobs"][-1]
        spec = b.get("udtf_spec")
        if spec:
            for key in ("udtf_name", "udtf_version", "udtf_sha"):
                props["materialized_view." + key] = spec[key]
        return props

    def _table_describe(self, req, ids, params):
        body = self._body(req, True, ids)
        check_keys(body, DESCRIBE_KEYS)
        version = want_int(body, "version", "version", minimum=0)
        tag = want_str(body, "tag", "tag")
        branch = want_str(body, "branch", "branch")
        flags = {}
        for key in DESCRIBE_QUERY + ("vend_credentials",):
            flags[key] = want_bool(body, key, key)
            q = query_bool(params, key) if key in DESCRIBE_QUERY else None
            if q is not None:
                flags[key] = q
        if tag is not None and (version is not None or branch is not None):
            raise bad("field 'tag' cannot be combined with 'version' or 'branch'")
        view = self._view(ids)
        current = self.version(view)
        if version is not None and version > current:
            raise LanceError(404, 11, "version %d of table %s not found"
                             % (version, json.dumps(list(ids))))
        if tag is not None:
            raise LanceError(404, 8, "tag %r not found" % tag)
        if branch not in (None, "main"):
            raise LanceError(404, 22, "branch %r not found" % branch)
        out = {"location": self._location(ids), "properties": self._properties(view)}
        if flags["load_detailed_metadata"] is not False:
            out.update({
                "table": ids[-1], "namespace": list(ids[:-1]),
                "version": version if version is not None else current,
                "schema": {"fields": [json_arrow_field(f) for f in view["fields"]],
                           "metadata": {}},
                "storage_options": {},
                "stats": {"num_deleted_rows": 0, "num_fragments": 0 if current == 1 else 1},
                "metadata": {},
            })
        if flags["with_table_uri"]:
            out["table_uri"] = out["location"]
        if flags["check_declared"]:
            out["is_only_declared"] = False
        return Reply.json(200, out)

    def _table_exists(self, req, ids, params):
        body = self._body(req, True, ids)
        check_keys(body, EXISTS_KEYS)
        version = want_int(body, "version", "version", minimum=0)
        view = self._view(ids)
        if version is not None and version > self.version(view):
            raise LanceError(404, 11, "version %d of table %s not found"
                             % (version, json.dumps(list(ids))))
        return Reply(200, self.settings["exists_body"].encode())

    def _table_drop(self, req, ids, params):
        body = self._body(req, False, ids)
        check_keys(body, COMMON_KEYS)
        view = self._view(ids)
        out = {"id": list(ids), "location": self._location(ids),
               "properties": self._properties(view)}
        del self.views[ids]
        return Reply.json(200, out)

    # ---- namespaces -----------------------------------------------------------
    def _list(self, req, ids, params):
        include = query_bool(params, "include_declared")  # accepted, no effect
        del include
        limit = None
        if "limit" in params:
            if not re.fullmatch(r"[0-9]+", params["limit"]):
                raise bad("query parameter 'limit' must be a positive integer")
            limit = int(params["limit"])
            if limit < 1:
                raise bad("query parameter 'limit' must be >= 1")
        if ids not in self.namespaces:
            raise LanceError(404, 1, "namespace %s not found" % json.dumps(list(ids)))
        names = sorted(v[-1] for v in self.views if v[:-1] == ids)
        token = params.get("page_token", "")
        if token:
            m = re.fullmatch(r"t1\.([0-9a-f]*)", token)
            try:
                after = bytes.fromhex(m.group(1)).decode("utf-8") if m else None
            except ValueError:
                after = None
            if after is None:
                raise bad("query parameter 'page_token' is not a token this server issued")
            names = [n for n in names if n > after]
        size = max(1, self.settings["page_size"])
        if limit is not None:
            size = min(size, limit)
        page = names[:size]
        out = {"tables": page}
        if len(names) > size:
            out["page_token"] = "t1." + page[-1].encode("utf-8").hex()
        return Reply.json(200, out)
