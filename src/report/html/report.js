// idemfuzz HTML report: filters and copy buttons. Everything works without it, unfiltered.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var findings = Array.prototype.slice.call(document.querySelectorAll("article.finding"));
  function apply() {
    if (!form) { return; }
    var severities = {};
    Array.prototype.forEach.call(form.querySelectorAll("input[name=severity]"), function (box) {
      severities[box.value] = box.checked;
    });
    var check = form.querySelector("#filter-check").value;
    var resource = form.querySelector("#filter-resource").value;
    var shown = 0;
    findings.forEach(function (finding) {
      var visible = severities[finding.dataset.severity] !== false &&
        (check === "" || finding.dataset.check === check) &&
        (resource === "" || finding.dataset.resource === resource);
      finding.hidden = !visible;
      if (visible) { shown += 1; }
    });
    var counter = document.getElementById("shown");
    if (counter) { counter.textContent = shown + " of " + findings.length + " shown"; }
  }
  // The filters live in the location's fragment too (`#severity=error&check=repeat-put`), so a
  // filtered view can be linked to.
  function fromFragment() {
    var params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    if (params.has("severity")) {
      var wanted = params.get("severity").split(",");
      Array.prototype.forEach.call(form.querySelectorAll("input[name=severity]"), function (box) {
        box.checked = wanted.indexOf(box.value) >= 0;
      });
    }
    ["check", "resource"].forEach(function (name) {
      var select = form.querySelector("#filter-" + name);
      if (params.has(name) && select.querySelector("option[value='" + CSS.escape(params.get(name)) + "']")) {
        select.value = params.get(name);
      }
    });
  }
  function toFragment() {
    var params = new URLSearchParams();
    var boxes = form.querySelectorAll("input[name=severity]");
    var checked = Array.prototype.filter.call(boxes, function (box) { return box.checked; });
    if (checked.length !== boxes.length) {
      params.set("severity", checked.map(function (box) { return box.value; }).join(","));
    }
    ["check", "resource"].forEach(function (name) {
      var value = form.querySelector("#filter-" + name).value;
      if (value !== "") { params.set(name, value); }
    });
    var fragment = params.toString();
    history.replaceState(null, "", fragment === "" ? window.location.pathname : "#" + fragment);
  }
  if (form) {
    form.addEventListener("change", function () { apply(); toFragment(); });
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    fromFragment();
    apply();
  }
  function copied(button) {
    var label = button.textContent;
    button.textContent = "Copied";
    setTimeout(function () { button.textContent = label; }, 1500);
  }
  function fallback(text, button) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    try { if (document.execCommand("copy")) { copied(button); } } catch (e) { /* nothing to do */ }
    document.body.removeChild(area);
  }
  Array.prototype.forEach.call(document.querySelectorAll("button.copy"), function (button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.dataset.copy);
      if (!source) { return; }
      var text = source.textContent;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { copied(button); },
          function () { fallback(text, button); });
      } else {
        fallback(text, button);
      }
    });
  });
})();
