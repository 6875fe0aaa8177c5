// YASGUI wired to this endpoint only: no LOV autocompletion (classes, properties and the dataset's
// IRIs are completed from this server's search index instead), no prefix.cc, no localStorage
// persistence. Configuration comes from a JSON data block (no inline script).
//
// Result views (per tab, YASR plugins): table, chart (bar or line, Chart.js) and graph (CONSTRUCT /
// DESCRIBE, Cytoscape.js), plus the raw response. A share link (#query=…&endpoint=…&view=…)
// reopens the query, its endpoint (this server's only) and the chosen view; ?embed gives the
// /embed address of the same view.
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("r2pkg-config").textContent);
  const endpoint = new URL(cfg.endpoint, location.href).href;
  const views = window.r2pkgViews;
  const prologue = Object.entries(cfg.prefixes)
    .map(([p, ns]) => "PREFIX " + p + ": <" + ns + ">").join("\n");
  const Yasqe = Yasgui.Yasqe;
  const Yasr = Yasgui.Yasr;
  Yasqe.defaults.autocompleters = ["variables", "prefixes"];
  Yasqe.defaults.prefixCcApi = null;
  Yasqe.defaults.value = prologue + "\n\nSELECT ?s ?p ?o WHERE {\n  ?s ?p ?o\n} LIMIT 10\n";

  // -- autocompletion from /api/search ------------------------------------------------------------
  const labels = new Map();  // suggested text -> label, for the hint list
  function localName(iri) { return iri.replace(/^.*[#/]/, ""); }
  function asText(yasqe, iri) {
    const prefixes = yasqe.getPrefixesFromQuery();
    for (const [p, ns] of Object.entries(prefixes)) {
      if (iri.startsWith(ns) && /^[A-Za-z_][\w-]*$/.test(iri.slice(ns.length))) return p + ":" + iri.slice(ns.length);
    }
    return "<" + iri + ">";
  }
  function typed(token) {
    const s = (token.string || "").trim().replace(/^</, "").replace(/>$/, "");
    return s.includes(":") && !s.includes("/") ? s.slice(s.indexOf(":") + 1) : s;
  }
  function fromIndex(kinds, byLabel) {
    return (yasqe, token) => {
      const q = typed(token);
      if (q.replace(/\W/g, "").length < 2) return Promise.resolve([]);
      const url = new URL(cfg.search, location.href);
      url.searchParams.set("q", q);
      url.searchParams.set("limit", "40");
      if (kinds) url.searchParams.set("kind", kinds);
      return fetch(url, { headers: { Accept: "application/json" } })
        .then((r) => (r.ok ? r.json() : { hits: [] }))
        .then((data) => {
          const low = q.toLowerCase();
          const hits = data.hits.filter((h) => byLabel || localName(h.iri).toLowerCase().startsWith(low));
          if (!byLabel) hits.sort((a, b) => localName(a.iri).length - localName(b.iri).length);
          return hits.map((h) => {
            const text = asText(yasqe, h.iri);
            labels.set(text, h.label);
            return text;
          });
        })
        .catch(() => []);
    };
  }
  function withLabels(yasqe, hints) {
    return hints.map((h) => ({ ...h, displayText: labels.has(h.text) && labels.get(h.text) !== localName(h.text)
      ? h.text + "  (" + labels.get(h.text) + ")" : h.text }));
  }
  Yasqe.forkAutocompleter("class", { name: "r2pkg-class", get: fromIndex("class"), autoShow: true,
                                     postProcessSuggestion: (y, t, s) => s, postprocessHints: withLabels });
  Yasqe.forkAutocompleter("property", { name: "r2pkg-property", get: fromIndex("property"), autoShow: true,
                                        postProcessSuggestion: (y, t, s) => s, postprocessHints: withLabels });
  // the dataset's IRIs by label, in subject or object position: type a few letters of a name
  Yasqe.forkAutocompleter("class", {
    name: "r2pkg-iri", get: fromIndex(cfg.iriKinds, true), autoShow: false,
    postProcessSuggestion: (y, t, s) => s, postprocessHints: withLabels,
    isValidCompletionPosition: (yasqe) => {
      const t = yasqe.getCompleteToken();
      if (!t.string || /^[?$"'<]/.test(t.string) || t.string.includes(":")) return false;
      return t.state.possibleCurrent.indexOf("a") < 0 && !/^(a|rdf:type)$/.test(t.state.lastProperty || "");
    },
  });

  // -- result views -------------------------------------------------------------------------------
  function icon(text) {
    const span = document.createElement("span");
    span.className = "r2pkg-view-icon";
    span.textContent = text;
    return span;
  }
  class ChartPlugin {
    constructor(yasr) { this.yasr = yasr; this.priority = 1; this.label = "Chart"; this.type = "bar"; this.chart = null; }
    canHandleResults() {
      const r = this.yasr.results;
      return !!r && r.getType() !== "ttl" && !!r.getVariables() && r.getVariables().length > 0;
    }
    draw() {
      const el = this.yasr.resultsEl;
      el.textContent = "";
      const bar = document.createElement("div");
      bar.className = "r2pkg-chart-type";
      const pick = document.createElement("select");
      pick.setAttribute("aria-label", "chart type");
      for (const t of ["bar", "line"]) pick.add(new Option(t === "bar" ? "bar chart" : "line chart", t, false, t === this.type));
      pick.addEventListener("change", () => { this.type = pick.value; this.draw(); });
      bar.appendChild(pick);
      el.appendChild(bar);
      const area = document.createElement("div");
      el.appendChild(area);
      if (this.chart) this.chart.destroy();
      this.chart = views.drawChart(area, this.yasr.results.getVariables(), this.yasr.results.getBindings(), this.type, cfg.prefixes);
      area.firstChild && (area.firstChild.r2pkgChart = this.chart);
    }
    getIcon() { return icon("▮▮"); }
  }
  class GraphPlugin {
    constructor(yasr) { this.yasr = yasr; this.priority = 1; this.label = "Graph"; this.cy = null; }
    canHandleResults() {
      const r = this.yasr.results;
      return !!r && r.getType() === "ttl" && !!r.getStatements();
    }
    draw() {
      if (this.cy) this.cy.destroy();
      this.cy = views.drawGraph(this.yasr.resultsEl, this.yasr.results.getStatements(), cfg.prefixes);
      this.yasr.resultsEl.firstChild.r2pkgGraph = this.cy;
    }
    getIcon() { return icon("◉–◉"); }
  }
  Yasr.registerPlugin("chart", ChartPlugin);
  Yasr.registerPlugin("graph", GraphPlugin);
  Yasr.defaults.pluginOrder = ["table", "chart", "graph", "response"];

  const yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    endpointCatalogueOptions: { getData: () => [{ endpoint: endpoint }] },
    persistenceId: null,
    populateFromUrl: false,
    copyEndpointOnNewTab: true,
  });

  // -- share links: #query=…&endpoint=…&view=table|bar|line|graph|response ----------------------
  function viewOf(tab) {
    const yasr = tab.getYasr();
    const name = yasr ? yasr.selectedPlugin || yasr.getSelectedPluginName() : "table";
    if (name === "chart") return yasr.plugins.chart.type;
    return name || "table";
  }
  function selectView(tab, view) {
    const yasr = tab.getYasr();
    if (!yasr || !view) return;
    if (view === "bar" || view === "line") {
      yasr.plugins.chart.type = view;
      yasr.selectPlugin("chart");
    } else if (yasr.plugins[view]) {
      yasr.selectPlugin(view);
    }
  }
  function shareLink(tab) {
    const params = new URLSearchParams({ query: tab.getQuery(), endpoint: tab.getEndpoint(), view: viewOf(tab) });
    return new URL(cfg.page, location.href).href + "#" + params.toString();
  }
  function embedLink(tab) {
    const v = viewOf(tab);
    const params = new URLSearchParams({ query: tab.getQuery(), view: v === "response" ? "table" : v });
    return new URL(cfg.embed, location.href).href + "?" + params.toString();
  }
  const shareBox = document.getElementById("r2pkg-share-link");
  const embedBox = document.getElementById("r2pkg-embed-link");
  const shareButton = document.getElementById("r2pkg-share");
  if (shareButton) {
    shareButton.addEventListener("click", () => {
      const tab = yasgui.getTab();
      shareBox.value = shareLink(tab);
      embedBox.value = embedLink(tab);
      document.getElementById("r2pkg-share-panel").hidden = false;
      shareBox.select();
    });
  }
  function restore() {
    const params = new URLSearchParams(location.hash.slice(1));
    const query = params.get("query");
    if (!query) return;
    const wanted = params.get("endpoint");
    const sameOrigin = !wanted || new URL(wanted, location.href).origin === location.origin;
    const ep = sameOrigin && wanted ? new URL(wanted, location.href).href : endpoint;
    const note = document.getElementById("r2pkg-share-note");
    if (!sameOrigin && note) {
      note.hidden = false;
      note.textContent = "The link named another endpoint (" + wanted + "); this page queries only its own, " + endpoint + ".";
    }
    const tab = yasgui.getTab();
    tab.setEndpoint(ep);
    tab.setQuery(query);
    const view = params.get("view");
    tab.getYasr().once("drawn", () => selectView(tab, view));
    tab.query();
  }
  history.scrollRestoration = "manual";
  restore();
  window.addEventListener("hashchange", restore);

  // Examples open from a picker, one tab each when first chosen (a tab per example wrapped over
  // several rows). The query goes in the new tab's config: Tab.setQuery() throws on a tab that
  // was never shown (its editor is created lazily).
  const opened = new Map();  // example name -> tab id
  const picker = document.getElementById("r2pkg-examples");
  if (picker) {
    picker.addEventListener("change", () => {
      const ex = cfg.examples.find((e) => e.name === picker.value);
      if (!ex) return;
      const id = opened.get(ex.name);
      if (id && yasgui.getTab(id)) {
        yasgui.selectTabId(id);
      } else {
        const tab = yasgui.addTab(true, { name: ex.name, yasqe: { value: ex.query },
                                          requestConfig: { endpoint: endpoint, method: "POST" } });
        opened.set(ex.name, tab.getId());
      }
      picker.value = "";
    });
  }
  window.r2pkgYasgui = yasgui;
  window.r2pkgShare = { shareLink, embedLink, viewOf, selectView };
})();
