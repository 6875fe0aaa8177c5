// The embed page: run the one query on this server's endpoint and draw the chosen view.
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("r2pkg-embed").textContent);
  const el = document.getElementById("r2pkg-view");
  const views = window.r2pkgViews;
  const graph = cfg.view === "graph";
  const hrefOf = (iri) => (iri.startsWith(cfg.iriBase) ? cfg.pageBase + iri.slice(cfg.iriBase.length) : iri);
  fetch(new URL(cfg.endpoint, location.href), {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded",
               Accept: graph ? "application/n-triples" : "application/sparql-results+json" },
    body: new URLSearchParams({ query: cfg.query }),
  })
    .then((r) => (r.ok ? (graph ? r.text() : r.json()) : r.json().then((e) => Promise.reject(e.message || r.statusText))))
    .then((data) => {
      if (graph) {
        el.r2pkgGraph = views.drawGraph(el, views.parseNTriples(data), cfg.prefixes);
        return;
      }
      if (typeof data.boolean === "boolean") {
        el.textContent = String(data.boolean);
        return;
      }
      const vars = data.head.vars, rows = data.results.bindings;
      if (cfg.view === "table") {
        views.drawTable(el, vars, rows, cfg.prefixes, hrefOf);
      } else {
        el.r2pkgChart = views.drawChart(el, vars, rows, cfg.view, cfg.prefixes);
      }
    })
    .catch((err) => {
      el.textContent = "The query could not be answered: " + err;
    });
})();
