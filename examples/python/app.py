"""Debian's python3 in a FROM-scratch image: TLS, SQLite and a C extension (PyYAML's libyaml loader)."""
import sqlite3
import ssl

import yaml

context = ssl.create_default_context()
print("ssl:", ssl.OPENSSL_VERSION.split()[0], "CA certificates:", context.cert_store_stats()["x509_ca"] > 0)
db = sqlite3.connect(":memory:")
print("sqlite3:", db.execute("select sqlite_version()").fetchone()[0] != "")
print("yaml C loader:", yaml.load("a: [1, 2]", Loader=yaml.CSafeLoader) == {"a": [1, 2]})
