"""Moves votes from the redis list `votes` into postgres (one row per voter, the latest vote wins)."""
import json
import os
import time

import psycopg2
import redis


def connect_db():
    while True:
        try:
            conn = psycopg2.connect(host=os.environ.get("DB_HOST", "db"), user="postgres", dbname="postgres", connect_timeout=3)
            conn.autocommit = True
            return conn
        except psycopg2.OperationalError as err:
            print(f"waiting for db: {err}".strip())
            time.sleep(1)


conn = connect_db()
with conn.cursor() as cur:
    cur.execute("CREATE TABLE IF NOT EXISTS votes (id VARCHAR(255) PRIMARY KEY, vote VARCHAR(255) NOT NULL)")
store = redis.Redis(host=os.environ.get("REDIS_HOST", "redis"), port=6379)
print("worker ready", flush=True)

while True:
    item = store.blpop("votes", timeout=5)
    if not item:
        continue
    data = json.loads(item[1])
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO votes (id, vote) VALUES (%s, %s) ON CONFLICT (id) DO UPDATE SET vote = EXCLUDED.vote",
            (data["voter_id"], data["vote"]),
        )
    print(f"processed vote {data['vote']} from {data['voter_id']}", flush=True)
