#!/usr/bin/env python3
"""A stand-in Kubernetes API server for strata's tests (a real process, real HTTP).

It keeps objects in memory and reproduces the list/watch behaviour of ../shared/specs/
KUBE_API.md section 1.14: paged lists with one resourceVersion for every page, continue tokens
that expire, watches as chunked JSON streams (ADDED/MODIFIED/DELETED/BOOKMARK/ERROR), a bounded
history whose compaction turns old watches into ERROR 410 events, timeoutSeconds, watch-list
refused with 422, Status bodies for errors. It serves enough discovery (and OpenAPI v3) for
kubectl to create, apply, get, replace, delete and watch the kinds strata reads, checks
resourceVersion on updates (409), and has a status subresource.

Usage: stand_in_apiserver.py [--port N] [--tls-cert F --tls-key F] [--token-file F]
                             [--bookmark-interval S]
Prints "listening on PORT" when ready; exits when stdin closes (its parent is gone) or on
SIGTERM.

Faults, switched over HTTP (POST, no authentication; tests only):
  /_stand_in/drop-watches     ends every open watch stream now (a clean end of the response)
  /_stand_in/compact          forgets all history: watches from older versions get 410
  /_stand_in/gone-as-status   on: such watches get an HTTP 410 instead of an ERROR event
  /_stand_in/lagging?on=true  as an API server whose cache is behind: a list for any version
                              other than "" or "0" gets 504 "Too large resource version"
  /_stand_in/fail?count=N     the next N API requests get 500
  /_stand_in/slow?ms=N        every API request waits N ms first (0: off)
  /_stand_in/down?seconds=S   the API answers nothing for S seconds: connections are closed
  /_stand_in/up               ends such an outage now
  /_stand_in/token?value=T    the bearer token accepted from now on
and GET /_stand_in/watches?older_than=S says how many watches have been open S seconds.
"""
import argparse
import base64
import json
import random
import signal
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# (group, version, plural) -> (kind, namespaced, builtin)
RESOURCES = {
    ("", "v1", "services"): ("Service", True, True),
    ("", "v1", "secrets"): ("Secret", True, True),
    ("", "v1", "namespaces"): ("Namespace", False, True),
    ("", "v1", "events"): ("Event", True, True),
    ("discovery.k8s.io", "v1", "endpointslices"): ("EndpointSlice", True, True),
    ("networking.k8s.io", "v1", "ingresses"): ("Ingress", True, True),
    ("networking.k8s.io", "v1", "ingressclasses"): ("IngressClass", False, True),
    ("coordination.k8s.io", "v1", "leases"): ("Lease", True, True),
    ("traefik.io", "v1alpha1", "ingressroutes"): ("IngressRoute", True, False),
    ("traefik.containo.us", "v1alpha1", "ingressroutes"): ("IngressRoute", True, False),
    ("gateway.networking.k8s.io", "v1", "gatewayclasses"): ("GatewayClass", False, False),
    ("gateway.networking.k8s.io", "v1", "gateways"): ("Gateway", True, False),
    ("gateway.networking.k8s.io", "v1", "httproutes"): ("HTTPRoute", True, False),
    ("gateway.networking.k8s.io", "v1", "referencegrants"): ("ReferenceGrant", True, False),
}
SHORT_NAMES = {"services": ["svc"], "ingresses": ["ing"], "namespaces": ["ns"],
               "events": ["ev"], "gateways": ["gtw"], "referencegrants": ["refgrant"]}
WITH_STATUS = {"services", "ingresses", "ingressroutes", "gatewayclasses", "gateways",
               "httproutes"}


def api_version(group, version):
    return f"{group}/{version}" if group else version


def status_body(code, reason, message, continue_token=None):
    meta = {"continue": continue_token} if continue_token else {}
    return {"kind": "Status", "apiVersion": "v1", "metadata": meta, "status": "Failure",
            "message": message, "reason": reason, "code": code}


class Store:
    """Objects, the change history and the open watches, under one lock."""

    def __init__(self, bookmark_interval):
        self.lock = threading.Condition()
        self.rv = 100  # the stand-in's versions are numbers; clients must not rely on it
        self.objects = {}  # (group, plural, namespace, name) -> object
        self.history = []  # (rv, group, plural, type, object)
        self.compacted = 0  # history before this rv is gone
        self.watch_epoch = 0  # bumped to end every open watch
        self.bookmark_interval = bookmark_interval
        self.gone_as_status = False
        self.lagging = False
        self.fail_count = 0
        self.slow_ms = 0
        self.down_until = 0.0
        self.token = None
        self.open_watches = {}  # id -> start time

    def next_rv(self):
        self.rv += 1
        return str(self.rv)

    def record(self, group, plural, event_type, obj):
        self.history.append((int(obj["metadata"]["resourceVersion"]), group, plural,
                             event_type, json.loads(json.dumps(obj))))
        self.lock.notify_all()


def matches(obj, label_selector, field_selector):
    meta = obj.get("metadata", {})
    for term in filter(None, (label_selector or "").split(",")):
        key, _, value = term.partition("=")
        if meta.get("labels", {}).get(key.rstrip("=")) != value.lstrip("="):
            return False
    for term in filter(None, (field_selector or "").split(",")):
        key, _, value = term.partition("=")
        value = value.lstrip("=")
        if key == "metadata.name" and meta.get("name") != value:
            return False
        if key == "metadata.namespace" and meta.get("namespace") != value:
            return False
        if key == "type" and obj.get("type") != value:  # Secrets
            return False
    return True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    store = None  # set in main

    def log_message(self, *args):
        pass

    # ---- plumbing ------------------------------------------------------------------------

    def send_json(self, code, body, headers=()):
        data = (json.dumps(body) + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def fail(self, code, reason, message, continue_token=None):
        self.send_json(code, status_body(code, reason, message, continue_token))

    def read_body(self):
        try:
            return json.loads(self.raw_body or b"{}")
        except ValueError:
            return None

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True

    # ---- dispatch ------------------------------------------------------------------------

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def dispatch(self, method):
        # Read the body whatever the request (a DELETE carries DeleteOptions): what is left
        # unread would be taken for the next request on this connection.
        length = int(self.headers.get("Content-Length") or "0")
        self.raw_body = self.rfile.read(length) if length > 0 else b""
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        parts = [p for p in url.path.split("/") if p]
        store = self.store
        if parts[:1] == ["_stand_in"] and method == "POST":
            return self.control(parts[1] if len(parts) > 1 else "", query)
        if parts == ["_stand_in", "watches"] and method == "GET":
            # How many watch streams are open and older than ?older_than=S seconds.
            older_than = float(query.get("older_than", "0"))
            with store.lock:
                now = time.time()
                count = sum(1 for t in store.open_watches.values() if now - t >= older_than)
            return self.send_json(200, {"count": count})
        with store.lock:
            down = time.time() < store.down_until
            slow = store.slow_ms
            failing = store.fail_count > 0
            if failing:
                store.fail_count -= 1
            token = store.token
        if down:
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if slow:
            time.sleep(slow / 1000.0)
        if token is not None and self.headers.get("Authorization") != f"Bearer {token}":
            return self.fail(401, "Unauthorized", "Unauthorized")
        if failing:
            return self.fail(500, "InternalError", "Internal error (injected by the stand-in)")
        if method == "GET" and self.discovery(parts):
            return
        target = self.parse_path(parts)
        if target is None:
            return self.fail(404, "NotFound", f"the server could not find the requested resource")
        group, version, plural, namespace, name, sub = target
        kind, namespaced, builtin = RESOURCES[(group, version, plural)]
        if method == "GET" and name is None:
            if query.get("watch") in ("true", "1"):
                return self.watch(group, version, plural, namespace, query)
            return self.list(group, version, plural, namespace, query)
        if method == "GET":
            return self.get(group, plural, namespace, name, kind)
        if method == "POST" and name is None:
            return self.create(group, version, plural, namespace, kind)
        if method == "PUT" and name is not None:
            return self.update(group, version, plural, namespace, name, sub, kind)
        if method == "PATCH" and name is not None:
            return self.patch(group, version, plural, namespace, name, sub, kind)
        if method == "DELETE" and name is not None:
            return self.delete(group, version, plural, namespace, name, kind)
        return self.fail(405, "MethodNotAllowed", f"{method} is not supported here")

    def parse_path(self, parts):
        if parts[:2] == ["api", "v1"]:
            group, version, rest = "", "v1", parts[2:]
        elif parts[:1] == ["apis"] and len(parts) >= 3:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            return None
        namespace = None
        if len(rest) >= 2 and rest[0] == "namespaces" and len(rest) != 2:
            namespace, rest = rest[1], rest[2:]
        if not rest or len(rest) > 3 or (group, version, rest[0]) not in RESOURCES:
            return None
        if namespace is not None and not RESOURCES[(group, version, rest[0])][1]:
            return None
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if sub is not None and (sub != "status" or rest[0] not in WITH_STATUS):
            return None
        return group, version, rest[0], namespace, name, sub

    # ---- discovery (what kubectl needs) --------------------------------------------------

    def openapi_v3(self, parts):
        """Just enough OpenAPI v3 for `kubectl apply` and `kubectl create` with validation on:
        every PATCH operation takes `fieldValidation`, so kubectl leaves validation to the
        server (which the stand-in skips) instead of downloading schemas, and takes only merge
        patches, so kubectl does not look for a kind's schema to build a strategic one."""
        def gv_path(group, version):
            return f"apis/{group}/{version}" if group else f"api/{version}"

        gvs = sorted({(g, v) for (g, v, _) in RESOURCES})
        if parts == ["openapi", "v3"]:
            paths = {gv_path(g, v): {"serverRelativeURL": f"/openapi/v3/{gv_path(g, v)}?hash=0"}
                     for g, v in gvs}
            self.send_json(200, {"paths": paths})
            return True
        wanted = "/".join(parts[2:])
        for group, version in gvs:
            if gv_path(group, version) != wanted:
                continue
            paths = {}
            for (g, v, plural), (kind, namespaced, _) in sorted(RESOURCES.items()):
                if (g, v) != (group, version):
                    continue
                scope = "namespaces/{namespace}/" if namespaced else ""
                gvk = {"group": g, "version": v, "kind": kind}
                patch = {
                    "operationId": f"patch{kind}",
                    "x-kubernetes-group-version-kind": gvk,
                    "parameters": [{"name": "fieldValidation", "in": "query",
                                    "schema": {"type": "string"}}],
                    "requestBody": {"content": {"application/merge-patch+json": {
                        "schema": {"type": "object"}}}},
                    "responses": {"200": {"description": "OK"}},
                }
                paths[f"/{wanted}/{scope}{plural}/{{name}}"] = {"patch": patch}
            self.send_json(200, {"openapi": "3.0.0",
                                 "info": {"title": "Kubernetes (stand-in)", "version": "v1.32.0"},
                                 "paths": paths, "components": {"schemas": {}}})
            return True
        return False

    def discovery(self, parts):
        if parts[:2] == ["openapi", "v3"]:
            return self.openapi_v3(parts)
        if parts == ["api"]:
            self.send_json(200, {"kind": "APIVersions", "versions": ["v1"],
                                 "serverAddressByClientCIDRs": []})
            return True
        if parts == ["apis"]:
            groups = {}
            for (group, version, _), _ in RESOURCES.items():
                if group:
                    groups.setdefault(group, []).append(version)
            items = [{"name": g, "versions": [{"groupVersion": f"{g}/{v}", "version": v}
                                              for v in sorted(set(vs))],
                      "preferredVersion": {"groupVersion": f"{g}/{vs[0]}", "version": vs[0]}}
                     for g, vs in sorted(groups.items())]
            self.send_json(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": items})
            return True
        if parts == ["version"]:
            self.send_json(200, {"major": "1", "minor": "32", "gitVersion": "v1.32.0-stand-in",
                                 "platform": "linux/amd64"})
            return True
        if parts in (["api", "v1"],) or (len(parts) == 3 and parts[0] == "apis"):
            group, version = ("", "v1") if parts[0] == "api" else (parts[1], parts[2])
            resources = []
            for (g, v, plural), (kind, namespaced, _) in sorted(RESOURCES.items()):
                if (g, v) != (group, version):
                    continue
                verbs = ["create", "delete", "get", "list", "patch", "update", "watch"]
                resources.append({"name": plural, "singularName": kind.lower(),
                                  "namespaced": namespaced, "kind": kind, "verbs": verbs,
                                  "shortNames": SHORT_NAMES.get(plural, [])})
                if plural in WITH_STATUS:
                    resources.append({"name": plural + "/status", "singularName": "",
                                      "namespaced": namespaced, "kind": kind,
                                      "verbs": ["get", "patch", "update"]})
            if not resources:
                return False
            self.send_json(200, {"kind": "APIResourceList", "apiVersion": "v1",
                                 "groupVersion": api_version(group, version),
                                 "resources": resources})
            return True
        return False

    # ---- reads ---------------------------------------------------------------------------

    def selected(self, group, plural, namespace, query):
        return sorted(
            (key, obj) for key, obj in self.store.objects.items()
            if key[0] == group and key[1] == plural
            and (namespace is None or key[2] == namespace)
            and matches(obj, query.get("labelSelector"), query.get("fieldSelector")))

    def list(self, group, version, plural, namespace, query):
        store = self.store
        kind, _, builtin = RESOURCES[(group, version, plural)]
        limit = int(query.get("limit") or 0)
        token = query.get("continue")
        rv_param = query.get("resourceVersion")
        if token and rv_param not in (None, "", "0"):
            return self.fail(400, "BadRequest",
                             "specifying resource version is not allowed when using continue")
        with store.lock:
            if store.lagging and not token and rv_param not in (None, "", "0"):
                body = status_body(504, "Timeout",
                                   f"Too large resource version: {rv_param}, "
                                   f"current: {store.rv - 50}")
                body["details"] = {"causes": [{"reason": "ResourceVersionTooLarge",
                                               "message": "Too large resource version"}],
                                   "retryAfterSeconds": 1}
                return self.send_json(504, body)
            start_after = None
            list_rv = store.rv
            if token:
                try:
                    state = json.loads(base64.urlsafe_b64decode(token.encode()))
                    list_rv, start_after = int(state["rv"]), tuple(state["after"])
                except (ValueError, KeyError, TypeError):
                    return self.fail(400, "BadRequest", "invalid continue token")
                if list_rv < store.compacted:
                    fresh = base64.urlsafe_b64encode(json.dumps(
                        {"rv": store.rv, "after": list(start_after)}).encode()).decode()
                    return self.fail(
                        410, "Expired",
                        "The provided continue parameter is too old to display a consistent "
                        "list result. You can start a new list without the continue parameter, "
                        "or use the continue token in this response to retrieve the remainder "
                        "of the results. Continuing with the provided token results in an "
                        "inconsistent list - objects that were created, modified, or deleted "
                        "between the time the first chunk was returned and now may show up in "
                        "the list.", fresh)
            elif rv_param not in (None, "", "0") and (
                    query.get("resourceVersionMatch") == "Exact" or limit):
                if int(rv_param) < store.compacted or int(rv_param) > store.rv:
                    return self.fail(410, "Expired",
                                     "The resourceVersion for the provided list is too old.")
            # The stand-in lists its current state; a token's version is only checked for age.
            items = self.selected(group, plural, namespace, query)
            if start_after is not None:
                items = [(k, o) for k, o in items if k > start_after]
            meta = {"resourceVersion": str(list_rv)}
            if limit and len(items) > limit:
                last = items[limit - 1][0]
                meta["continue"] = base64.urlsafe_b64encode(
                    json.dumps({"rv": list_rv, "after": list(last)}).encode()).decode()
                if not query.get("labelSelector") and not query.get("fieldSelector"):
                    meta["remainingItemCount"] = len(items) - limit
                items = items[:limit]
            out = []
            for _, obj in items:
                obj = json.loads(json.dumps(obj))
                if builtin:  # built-in kinds: no kind/apiVersion on list items
                    obj.pop("kind", None)
                    obj.pop("apiVersion", None)
                out.append(obj)
        self.send_json(200, {"kind": kind + "List", "apiVersion": api_version(group, version),
                             "metadata": meta, "items": out})

    def get(self, group, plural, namespace, name, kind):
        with self.store.lock:
            obj = self.store.objects.get((group, plural, namespace or "", name))
        if obj is None:
            return self.fail(404, "NotFound", f'{plural} "{name}" not found')
        self.send_json(200, obj)

    # ---- watch ---------------------------------------------------------------------------

    def watch(self, group, version, plural, namespace, query):
        store = self.store
        if query.get("sendInitialEvents") is not None or query.get("resourceVersionMatch"):
            body = status_body(422, "Invalid",
                               'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: '
                               "Forbidden: sendInitialEvents is forbidden for watch unless the "
                               "WatchList feature gate is enabled")
            body["details"] = {"group": "meta.k8s.io", "kind": "ListOptions", "causes": [
                {"reason": "FieldValueForbidden", "field": "sendInitialEvents",
                 "message": "Forbidden: sendInitialEvents is forbidden for watch unless the "
                            "WatchList feature gate is enabled"}]}
            return self.send_json(422, body)
        kind = RESOURCES[(group, version, plural)][0]
        av = api_version(group, version)
        timeout = query.get("timeoutSeconds")
        timeout = float(timeout) if timeout else 1800 * (1 + random.random())
        deadline = time.time() + timeout
        bookmarks = query.get("allowWatchBookmarks") == "true"
        label_sel, field_sel = query.get("labelSelector"), query.get("fieldSelector")
        rv_param = query.get("resourceVersion")

        pending = []
        with store.lock:
            epoch = store.watch_epoch
            if rv_param in (None, "", "0"):
                since = store.rv
                for _, obj in self.selected(group, plural, namespace, query):
                    pending.append(("ADDED", obj))
            else:
                since = int(rv_param)
                if since < store.compacted:
                    message = f"too old resource version: {since} ({store.compacted})"
                    if store.gone_as_status:
                        return self.fail(410, "Expired", message)
                    pending.append(("ERROR", status_body(410, "Expired", message)))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def send(event_type, obj):
            if event_type not in ("ERROR",):
                obj = dict(obj, kind=kind, apiVersion=av)
            data = (json.dumps({"type": event_type, "object": obj}) + "\n").encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        def finish():
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        def bookmark(rv):
            # "Everything up to this version has been sent": the server's version when this
            # round's events were collected, so a quiet kind's watchers move past other
            # kinds' changes (and compactions) without skipping their own events.
            send("BOOKMARK", {"metadata": {"resourceVersion": str(rv),
                                           "creationTimestamp": None},
                              "spec": {}, "status": {}})

        watch_id = object()
        with store.lock:
            store.open_watches[watch_id] = time.time()
        try:
            for event_type, obj in pending:
                send(event_type, obj)
                if event_type == "ERROR":
                    return finish()
            last = since
            next_bookmark = time.time() + store.bookmark_interval
            final_bookmark_sent = False
            # Whether each object matched the selectors at its last event (for transitions).
            seen = {(o["metadata"].get("namespace"), o["metadata"]["name"]): True
                    for t, o in pending}
            while True:
                events = []
                with store.lock:
                    seen_rv = store.rv
                    if store.watch_epoch != epoch:
                        break
                    if last < store.compacted:
                        events = None
                    else:
                        for rv, g, p, event_type, obj in store.history:
                            if rv > last and g == group and p == plural:
                                meta = obj["metadata"]
                                if namespace is None or meta.get("namespace") == namespace:
                                    events.append((rv, event_type, obj))
                    if events == []:
                        now = time.time()
                        wake = min(deadline, next_bookmark)
                        if bookmarks and not final_bookmark_sent:
                            wake = min(wake, deadline - 2)
                        store.lock.wait(max(0.0, min(wake - now, 0.5)))
                if events is None:
                    send("ERROR", status_body(
                        410, "Expired", f"too old resource version: {last} ({store.compacted})"))
                    break
                for rv, event_type, obj in events:
                    last = rv
                    meta = obj["metadata"]
                    key = (meta.get("namespace"), meta["name"])
                    now_match = matches(obj, label_sel, field_sel)
                    before = False if event_type == "ADDED" else seen.get(key, now_match)
                    if event_type == "DELETED":
                        seen.pop(key, None)
                        if before:
                            send("DELETED", obj)
                        continue
                    seen[key] = now_match
                    # An object that starts or stops matching a selector is ADDED or DELETED.
                    if now_match and not before:
                        send("ADDED", obj)
                    elif now_match:
                        send(event_type, obj)
                    elif before:
                        send("DELETED", obj)
                now = time.time()
                if now >= deadline:
                    break
                if bookmarks and now >= next_bookmark:
                    bookmark(seen_rv)
                    next_bookmark = now + store.bookmark_interval
                if bookmarks and not final_bookmark_sent and now >= deadline - 2:
                    bookmark(seen_rv)
                    final_bookmark_sent = True
            finish()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            pass
        finally:
            with store.lock:
                store.open_watches.pop(watch_id, None)
        self.close_connection = True

    # ---- writes --------------------------------------------------------------------------

    def check_object(self, obj, group, version, plural, namespace, kind, name=None):
        content_type = self.headers.get("Content-Type", "application/json").split(";")[0]
        if content_type != "application/json":
            # kubectl's typed commands (create secret, create configmap) send protobuf.
            self.fail(415, "UnsupportedMediaType",
                      f"the stand-in takes JSON bodies, not {content_type}")
            return False
        if obj is None or not isinstance(obj, dict):
            self.fail(400, "BadRequest", "the body is not a JSON object")
            return False
        if obj.get("kind", kind) != kind or obj.get("apiVersion",
                                                     api_version(group, version)) != \
                api_version(group, version):
            self.fail(400, "BadRequest",
                      f"the body is a {obj.get('apiVersion')} {obj.get('kind')}, "
                      f"expected {api_version(group, version)} {kind}")
            return False
        meta = obj.setdefault("metadata", {})
        if not meta.get("name"):
            self.fail(422, "Invalid", f"{kind} is invalid: metadata.name: Required value")
            return False
        if name is not None and meta["name"] != name:
            self.fail(400, "BadRequest", "the name of the object does not match the URL")
            return False
        if RESOURCES[(group, version, plural)][1]:
            ns = namespace or meta.get("namespace") or "default"
            if meta.get("namespace", ns) != ns:
                self.fail(400, "BadRequest",
                          "the namespace of the object does not match the namespace of the URL")
                return False
            meta["namespace"] = ns
        obj["kind"], obj["apiVersion"] = kind, api_version(group, version)
        return True

    def create(self, group, version, plural, namespace, kind):
        obj = self.read_body()
        if not self.check_object(obj, group, version, plural, namespace, kind):
            return
        store = self.store
        meta = obj["metadata"]
        key = (group, plural, meta.get("namespace", ""), meta["name"])
        with store.lock:
            if key in store.objects:
                return self.fail(409, "AlreadyExists",
                                 f'{plural}.{group or "core"} "{meta["name"]}" already exists')
            meta["uid"] = f"uid-{store.rv + 1}"
            meta.setdefault("creationTimestamp",
                            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
            meta["resourceVersion"] = store.next_rv()
            meta["generation"] = 1
            store.objects[key] = obj
            store.record(group, plural, "ADDED", obj)
        self.send_json(201, obj)

    def update(self, group, version, plural, namespace, name, sub, kind):
        obj = self.read_body()
        if not self.check_object(obj, group, version, plural, namespace, kind, name):
            return
        store = self.store
        key = (group, plural, namespace or "", name)
        with store.lock:
            old = store.objects.get(key)
            if old is None:
                return self.fail(404, "NotFound", f'{plural} "{name}" not found')
            given = obj["metadata"].get("resourceVersion")
            if not given and plural == "leases":
                # Leases do not allow unconditional updates (leader election relies on it).
                return self.fail(422, "Invalid",
                                 f'Lease.coordination.k8s.io "{name}" is invalid: '
                                 "metadata.resourceVersion: Invalid value: 0x0: must be "
                                 "specified for an update")
            if given and given != old["metadata"]["resourceVersion"]:
                return self.fail(
                    409, "Conflict",
                    f'Operation cannot be fulfilled on {plural}.{group or "core"} "{name}": '
                    "the object has been modified; please apply your changes to the latest "
                    "version and try again")
            if sub == "status":
                new = json.loads(json.dumps(old))
                new["status"] = obj.get("status", {})
            else:
                new = obj
                if "status" in old:
                    new["status"] = old["status"]
                for field in ("uid", "creationTimestamp"):
                    new["metadata"][field] = old["metadata"][field]
                new["metadata"]["generation"] = old["metadata"].get("generation", 1) + 1
            new["metadata"]["resourceVersion"] = store.next_rv()
            store.objects[key] = new
            store.record(group, plural, "MODIFIED", new)
        self.send_json(200, new)

    def patch(self, group, version, plural, namespace, name, sub, kind):
        content_type = self.headers.get("Content-Type", "")
        if content_type not in ("application/merge-patch+json",
                                "application/strategic-merge-patch+json"):
            return self.fail(415, "UnsupportedMediaType",
                             f"the stand-in takes merge patches, not {content_type}")
        patch = self.read_body()
        if not isinstance(patch, dict):
            return self.fail(400, "BadRequest", "the patch is not a JSON object")

        def merge(target, change):
            for k, v in change.items():
                if k.startswith("$"):
                    continue
                if v is None:
                    target.pop(k, None)
                elif isinstance(v, dict) and isinstance(target.get(k), dict):
                    merge(target[k], v)
                else:
                    target[k] = v
            return target

        store = self.store
        key = (group, plural, namespace or "", name)
        with store.lock:
            old = store.objects.get(key)
            if old is None:
                return self.fail(404, "NotFound", f'{plural} "{name}" not found')
            if plural in WITH_STATUS:
                # The status subresource: /status patches only the status, the object
                # everything else.
                if sub == "status":
                    patch = {"status": patch["status"]} if "status" in patch else {}
                else:
                    patch.pop("status", None)
            new = merge(json.loads(json.dumps(old)), patch)
            if sub != "status":
                # As the API server: a change outside metadata and status is a new generation.
                def body(o):
                    return {k: v for k, v in o.items() if k not in ("metadata", "status")}
                if body(new) != body(old):
                    new["metadata"]["generation"] = old["metadata"].get("generation", 1) + 1
            new["metadata"]["resourceVersion"] = store.next_rv()
            store.objects[key] = new
            store.record(group, plural, "MODIFIED", new)
        self.send_json(200, new)

    def delete(self, group, version, plural, namespace, name, kind):
        store = self.store
        key = (group, plural, namespace or "", name)
        with store.lock:
            old = store.objects.pop(key, None)
            if old is None:
                return self.fail(404, "NotFound", f'{plural} "{name}" not found')
            old["metadata"]["resourceVersion"] = store.next_rv()
            store.record(group, plural, "DELETED", old)
        self.send_json(200, old)

    # ---- faults --------------------------------------------------------------------------

    def control(self, what, query):
        store = self.store
        with store.lock:
            if what == "drop-watches":
                store.watch_epoch += 1
            elif what == "compact":
                # Forget every change so far: a watch from any version before now is too old.
                store.next_rv()
                store.compacted = store.rv
                store.history = []
            elif what == "gone-as-status":
                store.gone_as_status = query.get("on", "true") == "true"
            elif what == "lagging":
                store.lagging = query.get("on", "true") == "true"
            elif what == "fail":
                store.fail_count = int(query.get("count", "1"))
            elif what == "slow":
                store.slow_ms = int(query.get("ms", "0"))
            elif what == "down":
                store.down_until = time.time() + float(query.get("seconds", "1"))
                store.watch_epoch += 1
            elif what == "up":
                store.down_until = 0.0
            elif what == "token":
                store.token = query.get("value")
            else:
                return self.fail(404, "NotFound", f"no fault {what}")
            store.lock.notify_all()
        self.send_json(200, {"ok": what})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--token-file")
    parser.add_argument("--bookmark-interval", type=float, default=60.0)
    args = parser.parse_args()

    store = Store(args.bookmark_interval)
    if args.token_file:
        with open(args.token_file) as f:
            store.token = f.read().strip()
    Handler.store = store
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"listening on {server.server_address[1]}", flush=True)

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)

    def watch_stdin():
        try:
            while sys.stdin.read(1):
                pass
        except (OSError, ValueError):
            pass
        stop()

    threading.Thread(target=watch_stdin, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
