"""Settings of the web app: defaults, then ``R2PKG_*`` environment variables, then the mapping
passed to :func:`r2pkg.web.create_app`. Read once, in the factory."""
from __future__ import annotations

DEFAULTS: dict[str, object] = {
    "HOME": None,              # resource root (ontology/, shapes/, data/, queries/); None = packaged/checkout
    "BUILD_DIR": None,         # build artefacts; None = per-checkout cache folder
    "STORE": None,             # URL of a remote SPARQL query endpoint to serve instead of the embedded store
    "STORE_KIND": None,        # the remote store's backend (r2pkg.backends: sparql, virtuoso); None = detect
    "STORE_UNION": None,       # how the remote store is asked for the union default graph; None = detect
    "STORE_MODE": "memory",    # the embedded store: "memory" (loaded per server process) or "disk" (r2pkg.store)
    "DATASET": None,           # an already loaded r2pkg.store.LoadedDataset or DiskDataset (tests inject one)
    "QUERY_TIMEOUT": 5.0,      # seconds of wall-clock time per query before the worker is killed
    "QUERY_WORKERS": 2,        # worker processes evaluating queries, kept ready (per server process)
    "QUERY_MAX_WORKERS": 4,    # the most concurrent queries: overflow workers are forked when all are busy
    "PAGE_THREADS": 8,         # threads per server process for pages, exports and API calls (RSGI server)
    "QUEUE_TIMEOUT": 10.0,     # seconds a request may wait for a free worker before 503
    "MAX_QUERY_BYTES": 65536,  # larger query texts get 413
    "ROW_CAP": 100000,         # at most this many result rows/triples; announced in X-Result-Row-Cap
    "MAX_ANSWER_BYTES": 32 * 1024 * 1024,  # at most this many bytes per answer; announced in X-Result-Byte-Cap
    "WORKER_MEMORY_MB": 1024,  # address space a query worker may add to what it was forked with; 0 = no limit
    "WORKER_NICE": 10,         # query workers run this much below the server's CPU priority (0 = same)
    "WORKER_RECYCLE_MB": 64,   # a worker whose peak resident memory grew by more is replaced after its answer
    "POLICY_CHECK": True,      # parse queries and refuse updates/SERVICE; False only to test the sandbox alone
    "HEADER_TIMEOUT": 5.0,     # seconds a connection may take to send a complete request header
    "MAX_CONNECTIONS_PER_CLIENT": 256,  # open connections per client address (per server process); 0 = no cap
    "LISTEN_PORT": None,       # the port the server listens on (set by `r2pkg serve`; the connection guard's)
    "MAX_PENDING": 64,         # requests waiting for a query worker or a page thread, per pool; more get 503
    "EMBED_FRAME_ANCESTORS": "*",  # the sites that may show /embed in an iframe (CSP frame-ancestors)
    "CORS_ORIGINS": "*",       # "*" or a comma-separated list of allowed origins
    "SERVICE_ALLOWLIST": "",   # comma-separated SERVICE endpoints that may be called (default none)
    "CACHE_MAX_BYTES": 64 * 1024 * 1024,  # in-process cache of serialised results
    "CACHE_MAX_AGE": 300,      # Cache-Control max-age for GET answers (the dataset is immutable per build)
    "RETRY_AFTER": 5,          # seconds announced in Retry-After on 503
    "PUBLIC_BASE": "https://w3id.org/r2pkg/",  # request path P dereferences the IRI PUBLIC_BASE + P
    "PUBLIC_URL": None,        # the server's external base URL (https://r2pkg.example.org/); None = from Host
    "METRICS_ALLOW": "127.0.0.0/8,::1",  # client networks that may read /metrics (comma-separated; "*" = all)
}


def split_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value).split(",") if v.strip()]


def as_bool(value: object) -> bool:
    """A setting as a boolean: environment strings "0", "false", "no", "off" and "" are False."""
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "no", "off", "")
    return bool(value)
