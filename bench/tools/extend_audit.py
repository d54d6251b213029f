#!/usr/bin/env python3
"""Extends a stopped mamori's SQLite audit trail to TARGET events, for the audit case.

The events are made here, not through the server: the case measures how fast
`mamori audit verify` re-walks a long trail, and a trail of a million events would take
the server hours of real requests to write. Each event is chained exactly as mamori
chains one (encoding 2: SHA-256 over the previous hash and the length-prefixed fields,
the detail by its digest), so a verify that passes has checked every one of them.

usage: extend_audit.py DATABASE TARGET
"""

import hashlib
import json
import sqlite3
import struct
import sys
import uuid


def field(value: str) -> bytes:
    data = value.encode()
    return struct.pack(">I", len(data)) + data


def main() -> None:
    path, target = sys.argv[1], int(sys.argv[2])
    db = sqlite3.connect(path)
    seq, prev = db.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
    (last_at,) = db.execute("SELECT COALESCE(MAX(occurred_at), 0) FROM audit_events").fetchone()
    actor = uuid.UUID(int=0x0193_0000_0000_7000_8000_0000_0000_0001)
    batch = []

    def flush() -> None:
        db.executemany(
            "INSERT INTO audit_events (seq, occurred_at, actor_id, organisation_id, action, target_kind,"
            " target_id, outcome, detail, ip, prev_hash, hash, encoding, detail_sha256)"
            " VALUES (?, ?, ?, NULL, 'bench.event', 'bench', ?, 'success', ?, '127.0.0.1', ?, ?, 2, ?)",
            batch,
        )
        batch.clear()

    while seq < target:
        seq += 1
        at = last_at + seq
        target_id = f"t{seq}"
        detail = json.dumps({"n": seq, "note": "監査証跡の検証の負荷試験"}, ensure_ascii=False)
        digest = hashlib.sha256(detail.encode()).hexdigest()
        canonical = (
            b"\x02"
            + field(str(seq))
            + field(str(at))
            + field(str(actor))
            + field("")
            + field("bench.event")
            + field("bench")
            + field(target_id)
            + field("success")
            + field(digest)
            + field("127.0.0.1")
        )
        digest_chain = hashlib.sha256(bytes(prev) + canonical).digest()
        batch.append((seq, at, actor.bytes, target_id, detail, prev, digest_chain, digest))
        prev = digest_chain
        if len(batch) == 50_000:
            flush()
    flush()
    db.commit()
    print(seq)


if __name__ == "__main__":
    main()
