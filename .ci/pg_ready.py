"""Exit 0 when the PostgreSQL in the URL answers, creating its database if missing."""

import sys
from urllib.parse import urlparse

import psycopg
from psycopg import sql

url = urlparse(sys.argv[1])
dbname = url.path.lstrip("/") or "luna"
params = {
    "host": url.hostname or "127.0.0.1",
    "port": url.port or 5432,
    "user": url.username or "postgres",
    "password": url.password,
    "connect_timeout": 5,
}
try:
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
            print(f"created database {dbname}")
except psycopg.OperationalError as exc:
    print(f"PostgreSQL not reachable: {exc}", file=sys.stderr)
    sys.exit(1)
