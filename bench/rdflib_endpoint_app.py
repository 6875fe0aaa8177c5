"""rdflib-endpoint over an N-Quads file with a union default graph (the peer the issue names)."""
import sys

import uvicorn
from rdflib import Dataset
from rdflib_endpoint import SparqlEndpoint

path, port = sys.argv[1], int(sys.argv[2])
ds = Dataset(default_union=True)
ds.parse(path, format="nquads")
uvicorn.run(SparqlEndpoint(graph=ds), host="127.0.0.1", port=port, log_level="warning")
