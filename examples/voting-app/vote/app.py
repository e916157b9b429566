"""The vote front end: a form for "a" or "b"; each POSTed vote goes onto the redis list `votes`."""
import json
import os
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import redis

OPTIONS = {"a": os.environ.get("OPTION_A", "Cats"), "b": os.environ.get("OPTION_B", "Dogs")}
store = redis.Redis(host=os.environ.get("REDIS_HOST", "redis"), port=6379, socket_timeout=5)

PAGE = """<!doctype html><title>Vote</title><h1>{a} vs {b}</h1>
<form method="post" action="/vote"><button name="vote" value="a">{a}</button>
<button name="vote" value="b">{b}</button></form>"""


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, body, kind="text/html"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/healthz":
            return self.reply(200, "ok", "text/plain")
        self.reply(200, PAGE.format(**OPTIONS))

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode())
        vote = (form.get("vote") or [""])[0]
        if vote not in OPTIONS:
            return self.reply(400, "vote must be a or b\n", "text/plain")
        voter = self.headers.get("X-Voter-Id") or uuid.uuid4().hex
        store.rpush("votes", json.dumps({"voter_id": voter, "vote": vote}))
        self.reply(200, json.dumps({"voter_id": voter, "vote": vote}) + "\n", "application/json")


ThreadingHTTPServer(("0.0.0.0", 80), Handler).serve_forever()
