"""Start Debian's Virtuoso Open Source (`virtuoso-t`) on a private ini and database in a folder of its
own, on free loopback ports, for the tests (tests/test_virtuoso.py, R2PKG_TEST_STORE=virtuoso) and the
benchmark (bench/run.py --peers virtuoso). Standard library only.

`.ci/install-virtuoso.sh` installs the package when `virtuoso-t` is missing. The database is new, so
its `dba` account has the default password `dba` (used for the Graph Store endpoint's Digest auth).
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

USER, PASSWORD = "dba", "dba"  # a fresh database's administrator account

INI = """\
[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DisableTcpSocket = 0
MaxClientConnections = 20
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = ., {d}
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
ThreadsPerQuery = {threads_per_query}

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {d}
MaxClientConnections = 20
ServerThreads = 20
MaxKeepAlives = 20
KeepAliveTimeout = 10
Charset = UTF-8
EnabledGzipContent = 0

[Flags]
tn_max_memory = {tn_max_memory}

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime = 120
"""


def virtuoso_bin() -> str | None:
    return shutil.which("virtuoso-t")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# SERVICE from Virtuoso's anonymous SPARQL account (r2pkg lets only allowlisted SERVICE through)
ALLOW_SERVICE = ("GRANT SELECT ON DB.DBA.SPARQL_SINV_2 TO SPARQL_SELECT; "
                 "GRANT EXECUTE ON DB.DBA.SPARQL_SINV_IMP TO SPARQL_SELECT;")


@dataclass
class Virtuoso:
    proc: subprocess.Popen
    base: str  # http://127.0.0.1:PORT
    folder: Path
    sql_port: int

    def sql(self, statements: str) -> str:
        """Run SQL through Debian's `isql-vt` as dba; returns its output."""
        out = subprocess.run([shutil.which("isql-vt") or "isql-vt", str(self.sql_port), USER, PASSWORD,
                              "exec=" + statements], capture_output=True, text=True, timeout=60)
        if out.returncode != 0 or "Error" in out.stdout + out.stderr:
            raise RuntimeError("isql-vt: " + out.stdout[-500:] + out.stderr[-500:])
        return out.stdout

    @property
    def sparql(self) -> str:
        return self.base + "/sparql"

    @property
    def gsp(self) -> str:
        return self.base + "/sparql-graph-crud-auth"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def start_virtuoso(folder: Path, *, buffers: int = 20000, wait_s: float = 60.0,
                   allow_service: bool = False, tn_max_mb: int = 600, nice: int = 0,
                   threads_per_query: int = 2) -> Virtuoso:
    """A new `virtuoso-t` (foreground, its own database in ``folder``) on free loopback ports.

    Returns once /sparql answers. Raises RuntimeError if `virtuoso-t` is missing or does not start.
    ``buffers`` is NumberOfBuffers (8 KiB pages held in memory); ``allow_service`` grants SERVICE
    to the anonymous SPARQL account (:data:`ALLOW_SERVICE`). ``tn_max_mb`` caps the memory of one
    transitive (property path) evaluation: Virtuoso's ``timeout`` does not interrupt one, and at
    the default 1 GB a runaway path here runs some 5 s, long after r2pkg answered 503. ``nice`` lowers its
    CPU priority (the tests: on 2 shared cores, the runaway queries they send would otherwise
    starve r2pkg's own processes, whose timing they check). ``threads_per_query`` is how many threads
    one query may take (the tests: 1, so that their runaway queries leave Virtuoso threads and cores
    for the cheap queries sent beside them).
    """
    exe = virtuoso_bin()
    if not exe:
        raise RuntimeError("virtuoso-t is not installed: run `bash .ci/install-virtuoso.sh`")
    folder.mkdir(parents=True, exist_ok=True)
    http_port, sql_port = _free_port(), _free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(INI.format(d=folder, sql_port=sql_port, http_port=http_port, buffers=buffers,
                              dirty=buffers * 3 // 4, tn_max_memory=tn_max_mb * 2**20,
                              threads_per_query=threads_per_query))
    log = (folder / "stdout.log").open("wb")
    proc = subprocess.Popen([exe, "+foreground", "+configfile", str(ini)], cwd=folder, stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            preexec_fn=(lambda: os.nice(nice)) if nice else None)
    log.close()
    base = f"http://127.0.0.1:{http_port}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with opener.open(base + "/sparql?query=ASK%7B%7D", timeout=2) as r:
                r.read()
            server = Virtuoso(proc, base, folder, sql_port)
            try:
                if allow_service:
                    server.sql(ALLOW_SERVICE)
            except BaseException:
                server.stop()
                raise
            return server
        except (OSError, urllib.error.URLError):
            time.sleep(0.1)
    proc.kill()
    proc.wait(5)
    tail = (folder / "stdout.log").read_text(errors="replace")[-2000:]
    raise RuntimeError("virtuoso-t did not start: " + tail)
