"""The result front end: counts per option from postgres, as HTML on / and JSON on /api/results."""
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg2


def counts():
    conn = psycopg2.connect(host=os.environ.get("DB_HOST", "db"), user="postgres", dbname="postgres", connect_timeout=3)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass('votes')")
            if cur.fetchone()[0] is None:
                return {"a": 0, "b": 0}
            cur.execute("SELECT vote, COUNT(id) FROM votes GROUP BY vote")
            result = {"a": 0, "b": 0}
            result.update({vote: n for vote, n in cur.fetchall()})
            return result
    finally:
        conn.close()


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, body, kind):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/healthz":
            return self.reply(200, "ok", "text/plain")
        try:
            c = counts()
        except psycopg2.Error as err:
            return self.reply(503, f"database unavailable: {err}\n", "text/plain")
        if self.path == "/api/results":
            return self.reply(200, json.dumps(c) + "\n", "application/json")
        self.reply(200, f"<!doctype html><title>Results</title><h1>a: {c['a']} b: {c['b']}</h1>", "text/html")


ThreadingHTTPServer(("0.0.0.0", 80), Handler).serve_forever()
