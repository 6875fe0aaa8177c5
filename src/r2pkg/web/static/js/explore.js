/* r2pkg explorer: the support and delegation graph views as an interactive network (Cytoscape.js).
 *
 * Configuration comes from <script type="application/json" id="r2pkg-explore-config">; the data is fetched
 * from /export/<view>.cyjs (Cytoscape JSON written by networkx). No inline script, no network access beyond
 * this origin. The Cytoscape instance is exposed as window.r2pkgCy; #network carries data-state="ready" and
 * data-view once a view is laid out.
 *
 * Filters: an edge is shown when it matches the stance (polarity) filter, the target filter, and, for the
 * regional-group filter, when its source or its target belongs to the group. With any filter set, the nodes
 * shown are the endpoints of the shown edges; with none, every node is shown.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("r2pkg-explore-config").textContent);
  var GROUP_COLORS = {
    "africa": "#d95f02", "asia-pacific": "#7570b3", "eastern-europe": "#1b9e77",
    "latin-america-caribbean": "#e7298a", "weog": "#1f78b4"
  };
  var NO_GROUP = "#bdbdbd";
  var ACTOR = "#78909c";
  var TARGET = "#ffd54f";
  var POLARITY = {
    support: { color: "#2e7d32", style: "solid" }, challenge: { color: "#c62828", style: "solid" },
    concern: { color: "#ef6c00", style: "dashed" }, reference: { color: "#757575", style: "dotted" }
  };
  var RELATION = {
    "on behalf of": { color: "#37474f", style: "solid" }, "covers": { color: "#90a4ae", style: "dashed" }
  };
  var OTHER_EDGE = { color: "#9e9e9e", style: "solid" };

  var container = document.getElementById("network");
  var details = document.getElementById("details");
  var statusLine = document.getElementById("status");
  var legend = document.getElementById("legend");
  var viewSelect = document.getElementById("view-select");
  var groupSelect = document.getElementById("filter-group");
  var targetSelect = document.getElementById("filter-target");
  var stanceSelect = document.getElementById("filter-stance");
  var search = document.getElementById("search");
  var views = {};
  config.views.forEach(function (v) { views[v.name] = v; });
  var cy = null;

  function groupKey(iri) {
    return iri ? iri.slice(iri.lastIndexOf("/") + 1) : "";
  }
  function nodeColor(n) {
    if (n.data("category") === "state") { return GROUP_COLORS[groupKey(n.data("regional_group"))] || NO_GROUP; }
    return n.data("is_target") ? TARGET : ACTOR;
  }
  function edgeLook(e) {
    return POLARITY[e.data("polarity")] || RELATION[e.data("label")] || OTHER_EDGE;
  }
  function pageFor(iri) {
    if (iri && iri.indexOf(config.iriBase) === 0) { return config.pageBase + iri.slice(config.iriBase.length); }
    return iri;
  }

  var STYLE = [
    { selector: "node", style: {
      "label": "data(label)", "font-size": 11, "color": "#222", "text-valign": "bottom", "text-margin-y": 3,
      "text-wrap": "ellipsis", "text-max-width": "110px", "text-background-color": "#ffffff",
      "text-background-opacity": 0.75, "text-background-padding": "1px", "width": 18, "height": 18,
      "background-color": nodeColor, "border-width": 1, "border-color": "#37474f", "shape": "ellipse" } },
    { selector: "node[category = 'grouping'], node[category = 'organisation'], node[category = 'civil-society']",
      style: { "shape": "hexagon", "width": 24, "height": 22 } },
    { selector: "node[category = 'person']", style: { "shape": "round-triangle" } },
    { selector: "node[?is_target]", style: {
      "shape": "diamond", "width": 28, "height": 28, "border-color": "#8d6e00", "font-weight": "bold" } },
    { selector: "edge", style: {
      "width": function (e) { return 1.2 + Math.min(3, Number(e.data("passage_count") || 0)); },
      "line-color": function (e) { return edgeLook(e).color; },
      "target-arrow-color": function (e) { return edgeLook(e).color; },
      "line-style": function (e) { return edgeLook(e).style; },
      "target-arrow-shape": "triangle", "arrow-scale": 0.8, "curve-style": "bezier", "opacity": 0.85 } },
    { selector: ".hidden", style: { "display": "none" } },
    { selector: ".faded", style: { "opacity": 0.15 } },
    { selector: "node.match", style: { "border-width": 3, "border-color": "#000000" } },
    { selector: "node:selected", style: { "border-width": 4, "border-color": "#d50000" } }
  ];

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function option(value, label) {
    var o = el("option", { value: value }, label);
    return o;
  }
  function fillSelect(select, allLabel, items) {
    select.textContent = "";
    select.appendChild(option("", allLabel));
    items.forEach(function (it) { select.appendChild(option(it[0], it[1])); });
    select.disabled = items.length === 0;
    select.value = "";
  }

  function populateFilters() {
    var groups = {}, targets = [], polarities = {};
    cy.nodes().forEach(function (n) {
      if (n.data("regional_group")) { groups[n.data("regional_group")] = n.data("regional_group_label") || n.data("regional_group"); }
      if (n.data("is_target")) { targets.push([n.id(), n.data("label")]); }
    });
    cy.edges().forEach(function (e) { if (e.data("polarity")) { polarities[e.data("polarity")] = true; } });
    var byLabel = function (a, b) { return a[1].localeCompare(b[1]); };
    fillSelect(groupSelect, "all groups", Object.keys(groups).map(function (k) { return [k, groups[k]]; }).sort(byLabel));
    fillSelect(targetSelect, targets.length ? "all targets" : "(none in this view)", targets.sort(byLabel));
    fillSelect(stanceSelect, Object.keys(polarities).length ? "all stances" : "(none in this view)",
      Object.keys(polarities).sort().map(function (p) { return [p, p]; }));
  }

  function updateStatus() {
    var nv = cy.nodes().not(".hidden").length, ev = cy.edges().not(".hidden").length;
    statusLine.textContent = "Showing " + nv + " of " + cy.nodes().length + " nodes and " + ev + " of " +
      cy.edges().length + " edges (" + viewSelect.value + " view).";
    statusLine.dataset.visibleNodes = String(nv);
    statusLine.dataset.visibleEdges = String(ev);
  }

  function applyFilters() {
    var g = groupSelect.value, t = targetSelect.value, p = stanceSelect.value;
    var active = Boolean(g || t || p);
    var keep = {};
    cy.batch(function () {
      cy.edges().forEach(function (e) {
        var ok = (!p || e.data("polarity") === p) && (!t || e.data("target") === t) &&
          (!g || e.source().data("regional_group") === g || e.target().data("regional_group") === g);
        e.toggleClass("hidden", !ok);
        if (ok) { keep[e.data("source")] = true; keep[e.data("target")] = true; }
      });
      cy.nodes().forEach(function (n) { n.toggleClass("hidden", active && !keep[n.id()]); });
    });
    updateStatus();
  }

  function matches(n, q) {
    return String(n.data("label") || "").toLowerCase().indexOf(q) >= 0 ||
      String(n.data("iso3") || "").toLowerCase() === q;
  }
  function runSearch(focus) {
    var q = search.value.trim().toLowerCase();
    var hits = cy.collection();
    cy.batch(function () {
      cy.elements().removeClass("faded match");
      if (!q) { return; }
      hits = cy.nodes().not(".hidden").filter(function (n) { return matches(n, q); });
      cy.elements().difference(hits).addClass("faded");
      hits.addClass("match");
    });
    if (focus && hits.length) {
      cy.nodes(":selected").unselect();
      hits[0].select();
      cy.center(hits[0]);
      showDetails(hits[0]);
    }
  }

  function passageList(edge) {
    var texts = String(edge.data("passages") || "").split("\n").filter(Boolean);
    var iris = String(edge.data("passage_iris") || "").split(" ").filter(Boolean);
    var list = el("div", { "class": "passages" });
    texts.forEach(function (text, i) {
      var q = el("blockquote", { "class": "passage" }, "\u201c" + text + "\u201d");
      if (iris[i]) {
        q.appendChild(document.createTextNode(" "));
        q.appendChild(el("a", { href: pageFor(iris[i]), title: iris[i] }, "passage"));
      }
      list.appendChild(q);
    });
    if (!texts.length) { list.appendChild(el("p", {}, "No passage recorded.")); }
    return list;
  }

  function showDetails(node) {
    details.textContent = "";
    var close = el("button", { type: "button", "class": "close", "aria-label": "Close the details" }, "\u00d7");
    close.addEventListener("click", function () { clearDetails(); cy.nodes(":selected").unselect(); });
    details.appendChild(close);
    details.appendChild(el("h2", {}, node.data("label")));
    var dl = el("dl");
    function row(k, v) { if (v !== undefined && v !== null && v !== "") { dl.appendChild(el("dt", {}, k)); dl.appendChild(el("dd", {}, v)); } }
    row("Kind", node.data("category"));
    row("ISO 3166 code", node.data("iso3"));
    if (node.data("regional_group_label")) {
      row("Regional group", node.data("regional_group_label") + " (" + node.data("regional_group_basis") + ")");
    }
    row("IRI", node.id());
    details.appendChild(dl);
    var page = el("p");
    page.appendChild(el("a", { href: pageFor(node.id()), "class": "page-link" }, "Open the page of " + node.data("label")));
    details.appendChild(page);
    var edges = node.connectedEdges();
    details.appendChild(el("h3", {}, (viewSelect.value === "support" ? "Stances" : "Statements") + " (" + edges.length + ")"));
    var ul = el("ul");
    edges.forEach(function (e) {
      var li = el("li");
      var outgoing = e.data("source") === node.id();
      var other = outgoing ? e.target() : e.source();
      li.appendChild(el("span", { "class": "badge " + (e.data("polarity") || "") }, e.data("label")));
      li.appendChild(document.createTextNode(outgoing ? " \u2192 " : " \u2190 "));
      li.appendChild(el("a", { href: pageFor(other.id()) }, other.data("label")));
      li.appendChild(passageList(e));
      ul.appendChild(li);
    });
    details.appendChild(ul);
    details.dataset.node = node.id();
  }

  function clearDetails() {
    details.textContent = "";
    details.appendChild(el("p", { "class": "hint" },
      "Click a node (or search and press Enter) to see its details, the passages behind its edges and a link to its page."));
    delete details.dataset.node;
  }

  function drawLegend() {
    legend.textContent = "";
    function item(swatchAttrs, label) {
      var s = el("span");
      s.appendChild(el("span", swatchAttrs));
      s.appendChild(document.createTextNode(label));
      legend.appendChild(s);
    }
    var seen = {};
    cy.nodes("[category = 'state']").forEach(function (n) {
      if (n.data("regional_group")) { seen[groupKey(n.data("regional_group"))] = n.data("regional_group_label"); }
    });
    Object.keys(seen).sort().forEach(function (k) {
      item({ "class": "swatch", style: "background:" + GROUP_COLORS[k] + ";border-radius:50%" }, seen[k]);
    });
    item({ "class": "swatch", style: "background:" + ACTOR }, "group, organisation or person");
    if (cy.nodes("[?is_target]").length) { item({ "class": "swatch diamond", style: "background:" + TARGET }, "target of stances"); }
    var looks = {};
    cy.edges().forEach(function (e) { looks[e.data("polarity") || e.data("label")] = edgeLook(e); });
    Object.keys(looks).sort().forEach(function (k) {
      item({ "class": "line", style: "border-top-style:" + looks[k].style + ";border-top-color:" + looks[k].color }, k);
    });
  }

  function load(name) {
    var view = views[name];
    container.dataset.state = "loading";
    statusLine.textContent = "Loading the " + name + " view\u2026";
    clearDetails();
    return fetch(view.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) { throw new Error("the " + name + " view could not be loaded (HTTP " + r.status + ")"); }
        return r.json();
      })
      .then(function (data) {
        if (cy) { cy.destroy(); }
        // Start from a circle (deterministic, nothing overlaps), then let the force-directed layout settle.
        var all = data.elements.nodes, radius = 40 * Math.sqrt(all.length) + 60;
        var nodes = all.map(function (n, i) {
          var a = 2 * Math.PI * i / all.length;
          return { data: n.data, position: { x: radius * Math.cos(a), y: radius * Math.sin(a) } };
        });
        cy = cytoscape({
          container: container, style: STYLE, layout: { name: "preset" }, minZoom: 0.2, maxZoom: 4,
          elements: { nodes: nodes, edges: data.elements.edges }
        });
        window.r2pkgCy = cy;
        cy.on("tap", "node", function (evt) { showDetails(evt.target); });
        var layout = cy.layout({ name: "cose", animate: false, randomize: false, fit: true, padding: 30,
          nodeRepulsion: function () { return 7000; }, idealEdgeLength: function () { return 55; },
          componentSpacing: 40, numIter: 1500 });
        layout.one("layoutstop", function () {
          populateFilters();
          drawLegend();
          search.value = "";
          applyFilters();
          cy.fit(undefined, 30);
          container.dataset.view = name;
          container.dataset.state = "ready";
        });
        layout.run();
      })
      .catch(function (err) {
        container.dataset.state = "error";
        statusLine.textContent = "Error: " + err.message;
      });
  }

  viewSelect.addEventListener("change", function () { load(viewSelect.value); });
  [groupSelect, targetSelect, stanceSelect].forEach(function (s) {
    s.addEventListener("change", function () { applyFilters(); runSearch(false); });
  });
  search.addEventListener("input", function () { runSearch(false); });
  search.addEventListener("keydown", function (e) {
    if (e.key === "Enter") { e.preventDefault(); runSearch(true); }
  });
  document.getElementById("reset").addEventListener("click", function () {
    [groupSelect, targetSelect, stanceSelect].forEach(function (s) { s.value = ""; });
    search.value = "";
    applyFilters();
    runSearch(false);
    cy.fit(undefined, 30);
  });
  document.getElementById("explore-controls").addEventListener("submit", function (e) { e.preventDefault(); });

  viewSelect.value = config.defaultView;
  load(config.defaultView);
}());
