// YASGUI wired to this endpoint only: no LOV autocompletion, no prefix.cc, no shared-link endpoint
// switching, no localStorage persistence. Configuration comes from a JSON data block (no inline script).
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("r2pkg-config").textContent);
  const endpoint = new URL(cfg.endpoint, location.href).href;
  const prologue = Object.entries(cfg.prefixes)
    .map(([p, ns]) => "PREFIX " + p + ": <" + ns + ">").join("\n");
  Yasgui.Yasqe.defaults.autocompleters = ["variables", "prefixes"];
  Yasgui.Yasqe.defaults.prefixCcApi = null;
  Yasgui.Yasqe.defaults.value = prologue + "\n\nSELECT ?s ?p ?o WHERE {\n  ?s ?p ?o\n} LIMIT 10\n";
  const yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    endpointCatalogueOptions: { getData: () => [{ endpoint: endpoint }] },
    persistenceId: null,
    populateFromUrl: false,
    copyEndpointOnNewTab: true,
  });
  for (const ex of cfg.examples) {
    const tab = yasgui.addTab(false, { name: ex.name, requestConfig: { endpoint: endpoint, method: "POST" } });
    tab.setQuery(ex.query);
  }
  window.r2pkgYasgui = yasgui;
})();
