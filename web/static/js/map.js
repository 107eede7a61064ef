/* Home page map niceties (the map itself is drawn and coloured by the server and works without this):
   hovering or focusing a département shows its name and value beside the map; changing a choice in the form
   redraws the map at once. */
(function () {
  "use strict";
  var map = document.getElementById("france-map");
  var info = document.getElementById("map-info");
  if (!map || !info) { return; }
  function show(event) {
    var path = event.target.closest("a") && event.target.closest("a").querySelector("path.dep");
    if (!path) { return; }
    var title = path.querySelector("title");
    info.textContent = title ? title.textContent : path.dataset.code;
    path.classList.add("hover");
  }
  function hide(event) {
    var path = event.target.closest("a") && event.target.closest("a").querySelector("path.dep");
    if (path) { path.classList.remove("hover"); }
  }
  map.addEventListener("mouseover", show);
  map.addEventListener("focusin", show);
  map.addEventListener("mouseout", hide);
  map.addEventListener("focusout", hide);
  var form = document.querySelector("form.map-choice");
  if (form) {
    Array.prototype.forEach.call(form.querySelectorAll("select"), function (select) {
      select.addEventListener("change", function () { form.submit(); });
    });
  }
}());
