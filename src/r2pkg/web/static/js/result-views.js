// Result views shared by the query UI (as YASR plugins) and the embed page: a bar or line chart of
// a SELECT result (Chart.js) and a graph of CONSTRUCT/DESCRIBE triples (Cytoscape.js). Pure
// functions over SPARQL JSON bindings and RDF/JS-like triples; no network access.
(function () {
  "use strict";
  const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

  function isNumber(term) {
    return !!term && term.type !== "uri" && term.type !== "bnode" && NUMERIC.test(term.value);
  }

  function shortName(iri, prefixes) {
    let best = null;
    for (const [p, ns] of Object.entries(prefixes || {})) {
      if (iri.startsWith(ns) && iri.length > ns.length && (!best || ns.length > best[1].length)) best = [p, ns];
    }
    return best ? best[0] + ":" + iri.slice(best[1].length) : iri;
  }

  function termLabel(term, prefixes) {
    if (!term) return "";
    if (term.type === "uri" || term.termType === "NamedNode") return shortName(term.value, prefixes);
    if (term.type === "bnode" || term.termType === "BlankNode") return "_:" + term.value;
    return term.value;
  }

  // Labels from the first column that is not entirely numeric, one series per numeric column.
  function chartData(vars, bindings, prefixes) {
    const numeric = vars.filter((v) => bindings.length && bindings.every((b) => !b[v] || isNumber(b[v])) &&
                                       bindings.some((b) => isNumber(b[v])));
    const labelVar = vars.find((v) => !numeric.includes(v));
    if (!numeric.length) return null;
    const labels = bindings.map((b, i) => (labelVar ? termLabel(b[labelVar], prefixes) : String(i + 1)));
    const datasets = numeric.map((v) => ({ label: v, data: bindings.map((b) => (b[v] ? Number(b[v].value) : null)) }));
    return { labels, datasets, labelVar };
  }

  const COLOURS = ["#123c69", "#ac3b61", "#2e8b57", "#d08c00", "#5b5ea6", "#7f7f7f"];

  function drawChart(container, vars, bindings, type, prefixes) {
    container.textContent = "";
    const data = chartData(vars, bindings, prefixes);
    if (!data) {
      const p = document.createElement("p");
      p.className = "r2pkg-view-note";
      p.textContent = "A chart needs a column of numbers (e.g. COUNT in a GROUP BY query).";
      container.appendChild(p);
      return null;
    }
    data.datasets.forEach((d, i) => {
      d.backgroundColor = COLOURS[i % COLOURS.length];
      d.borderColor = COLOURS[i % COLOURS.length];
    });
    const box = document.createElement("div");
    box.className = "r2pkg-chart";
    const canvas = document.createElement("canvas");
    box.appendChild(canvas);
    container.appendChild(box);
    return new Chart(canvas, {
      type: type === "line" ? "line" : "bar",
      data: { labels: data.labels, datasets: data.datasets },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
                 scales: { x: { title: { display: !!data.labelVar, text: data.labelVar || "" } } } },
    });
  }

  function key(term) {
    const t = term.termType || term.type;
    return (t === "Literal" || t === "literal" || t === "typed-literal" ? "L:" : t === "BlankNode" || t === "bnode" ? "B:" : "I:") +
      term.value + (term.language ? "@" + term.language : "") + (term.datatype && term.datatype.value ? "^^" + term.datatype.value : "");
  }

  // Every distinct subject and object is a node (literals included), every triple an edge.
  function graphElements(triples, prefixes) {
    const nodes = new Map();
    const edges = [];
    const node = (term) => {
      const k = key(term);
      if (!nodes.has(k)) {
        const literal = k.startsWith("L:");
        const text = termLabel(term.termType === "Literal" ? { value: term.value } : { type: k.startsWith("B:") ? "bnode" : "uri", value: term.value }, prefixes);
        nodes.set(k, { data: { id: "n" + nodes.size, label: literal && text.length > 40 ? text.slice(0, 39) + "…" : text,
                               iri: literal ? null : term.value, kind: literal ? "literal" : "resource" } });
      }
      return nodes.get(k).data.id;
    };
    triples.forEach((t, i) => {
      edges.push({ data: { id: "e" + i, source: node(t.subject), target: node(t.object),
                           label: shortName(t.predicate.value, prefixes) } });
    });
    return { nodes: [...nodes.values()], edges };
  }

  function drawGraph(container, triples, prefixes) {
    container.textContent = "";
    const box = document.createElement("div");
    box.className = "r2pkg-graph";
    container.appendChild(box);
    const els = graphElements(triples, prefixes);
    return cytoscape({
      container: box,
      elements: [...els.nodes, ...els.edges],
      layout: { name: els.nodes.length > 300 ? "grid" : "cose", animate: false },
      style: [
        { selector: "node", style: { label: "data(label)", "font-size": 9, "background-color": "#123c69",
                                     width: 14, height: 14, "text-valign": "bottom", color: "#222" } },
        { selector: "node[kind = 'literal']", style: { shape: "round-rectangle", "background-color": "#d08c00" } },
        { selector: "edge", style: { label: "data(label)", "font-size": 7, width: 1, "curve-style": "bezier",
                                     "target-arrow-shape": "triangle", "line-color": "#999", "target-arrow-color": "#999",
                                     color: "#555" } },
      ],
    });
  }

  // N-Triples (one triple a line, as the endpoint writes it) into RDF/JS-like objects.
  const NT_TERM = /\s*(<[^>]*>|_:\S+|"(?:[^"\\]|\\.)*"(?:@[a-zA-Z0-9-]+|\^\^<[^>]*>)?)/y;
  function unescape(s) {
    return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})|\\(.)/g, (m, u4, u8, c) =>
      u4 || u8 ? String.fromCodePoint(parseInt(u4 || u8, 16)) : ({ n: "\n", r: "\r", t: "\t", b: "\b", f: "\f" }[c] ?? c));
  }
  function ntTerm(text) {
    if (text[0] === "<") return { termType: "NamedNode", value: unescape(text.slice(1, -1)) };
    if (text.startsWith("_:")) return { termType: "BlankNode", value: text.slice(2) };
    const end = text.lastIndexOf('"');
    const rest = text.slice(end + 1);
    return { termType: "Literal", value: unescape(text.slice(1, end)),
             language: rest.startsWith("@") ? rest.slice(1) : "",
             datatype: rest.startsWith("^^") ? { value: rest.slice(3, -1) } : null };
  }
  function parseNTriples(body) {
    const out = [];
    for (const line of body.split("\n")) {
      if (!line.trim() || line.trim().startsWith("#")) continue;
      NT_TERM.lastIndex = 0;
      const parts = [];
      for (let i = 0; i < 3; i++) {
        const m = NT_TERM.exec(line);
        if (!m) break;
        parts.push(ntTerm(m[1]));
      }
      if (parts.length === 3) out.push({ subject: parts[0], predicate: parts[1], object: parts[2] });
    }
    return out;
  }

  function drawTable(container, vars, bindings, prefixes, hrefOf) {
    container.textContent = "";
    const table = document.createElement("table");
    table.className = "r2pkg-table";
    const head = table.createTHead().insertRow();
    vars.forEach((v) => { const th = document.createElement("th"); th.textContent = v; head.appendChild(th); });
    const body = table.createTBody();
    bindings.forEach((b) => {
      const tr = body.insertRow();
      vars.forEach((v) => {
        const td = tr.insertCell();
        const term = b[v];
        // a link only to a web IRI: a javascript: or data: IRI in a result is shown, never followed
        if (term && term.type === "uri" && hrefOf && /^https?:\/\//i.test(term.value)) {
          const a = document.createElement("a");
          a.href = hrefOf(term.value);
          a.target = "_top";
          a.textContent = termLabel(term, prefixes);
          td.appendChild(a);
        } else {
          td.textContent = termLabel(term, prefixes);
        }
      });
    });
    container.appendChild(table);
    return table;
  }

  window.r2pkgViews = { chartData, drawChart, graphElements, drawGraph, drawTable, parseNTriples, shortName, termLabel };
})();
