/* The SPARQL editor page: YASGUI bound to this endpoint, nothing from another origin.
   Configuration comes from the page's <script type="application/json" id="editor-config"> block. */
(function () {
  "use strict";
  var holder = document.getElementById("yasgui");
  var configEl = document.getElementById("editor-config");
  if (!holder || !configEl || !window.Yasgui) { return; }
  var Yasgui = window.Yasgui.default || window.Yasgui;
  var Yasqe = Yasgui.Yasqe;
  var config = JSON.parse(configEl.textContent);

  // Autocompletion from this page only: the project's prefixes (instead of prefix.cc) and the query's
  // variables; the LOV-backed property and class completers are not used.
  var declarations = Object.keys(config.prefixes).sort().map(function (name) {
    return name + ": <" + config.prefixes[name] + ">";
  });
  Yasqe.forkAutocompleter("prefixes", {
    name: "sdsf-prefixes",
    persistenceId: null,
    get: function () { return Promise.resolve(declarations); }
  }, false);
  Yasqe.defaults.autocompleters.splice(0, Yasqe.defaults.autocompleters.length, "sdsf-prefixes", "variables");

  var yasgui = new Yasgui(holder, {
    requestConfig: { endpoint: config.endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    corsProxy: undefined,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: config.endpoint }]; } },
    persistenceId: "sdsf-editor " + config.endpoint,
    tabName: "Requête",
    yasqe: { value: config.query },
    yasr: { prefixes: config.prefixes, pluginOrder: ["table", "response"], defaultPlugin: "table" }
  });
  window.sdsfEditor = yasgui;

  // The examples: each button opens its query in a new tab, named after it, and runs it.
  Array.prototype.forEach.call(document.querySelectorAll("button.load-example"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.getElementById("rq-" + button.dataset.example);
      var tab = yasgui.addTab(true, { name: button.dataset.title, yasqe: { value: source.textContent } });
      tab.setQuery(source.textContent);
      tab.query();
      holder.scrollIntoView({ behavior: "smooth", block: "start" });
    });
  });
}());
