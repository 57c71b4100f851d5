"""The peer of ``bench_upload.py``: a bare ASGI app that stores a PUT body the way streamcore must.

``uvicorn`` runs ``app`` with the options ``streamcore serve`` gives it. ``PUT /upload`` writes
the body to a temporary file in ``PEER_DIR``, hashing it (SHA-256) and counting it on the way,
fsyncs it and renames it into place, then answers ``{"size", "sha256"}``: the work the upload
contract asks for (SPEC §3.5), with none of streamcore's layers (no token, no movie, no
transaction, no thread hop: each chunk is written on the event loop, as a small script would).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

Scope = dict[str, Any]


async def app(scope: Scope, receive: Any, send: Any) -> None:
    """``PUT /upload`` stores the body; anything else is a 404."""
    if scope["type"] == "lifespan":
        for _phase in ("startup", "shutdown"):
            message = await receive()
            await send({"type": f"{message['type']}.complete"})
        return
    if scope["method"] != "PUT" or scope["path"] != "/upload":
        await _answer(send, 404, {"detail": "not found"})
        return
    folder = Path(os.environ["PEER_DIR"])
    fd, name = tempfile.mkstemp(dir=folder, suffix=".part")
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as out:
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise ConnectionError("the client went away")
                body = message.get("body", b"")
                out.write(body)
                digest.update(body)
                size += len(body)
                more = message.get("more_body", False)
            out.flush()
            os.fsync(out.fileno())
        os.replace(name, folder / "upload.bin")
        directory = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself made durable, as streamcore does
        finally:
            os.close(directory)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    await _answer(send, 200, {"size": size, "sha256": digest.hexdigest()})


async def _answer(send: Any, status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
