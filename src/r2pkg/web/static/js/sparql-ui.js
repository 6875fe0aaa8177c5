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
})();
