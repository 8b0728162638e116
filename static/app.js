// odoo-mcp-gateway console: copy buttons, tag inputs, confirmations. Everything works without it.
(function () {
  "use strict";

  // Copy buttons: data-copy="#element" copies that element's text.
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "absolute";
    area.style.left = "-9999px";
    document.body.appendChild(area);
    area.select();
    var ok = document.execCommand("copy");
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var text = source.textContent;
    copyText(text).then(function () {
      button.dataset.copied = text;
      button.classList.add("copied");
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = "Copy"; button.classList.remove("copied"); }, 2500);
    }, function () {
      button.textContent = "Select and copy";
    });
  });

  // Forms that ask first: data-confirm="question".
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // Tag inputs: a comma-separated text field shown as removable chips plus an entry box.
  function enhance(input) {
    var box = document.createElement("div");
    box.className = "tags" + (input.getAttribute("aria-invalid") === "true" ? " invalid" : "");
    var entry = document.createElement("input");
    entry.type = "text";
    entry.className = "tag-entry";
    entry.id = input.id;
    entry.setAttribute("autocomplete", "off");
    if (input.getAttribute("list")) entry.setAttribute("list", input.getAttribute("list"));
    if (input.getAttribute("aria-describedby")) entry.setAttribute("aria-describedby", input.getAttribute("aria-describedby"));
    if (input.getAttribute("aria-invalid")) entry.setAttribute("aria-invalid", input.getAttribute("aria-invalid"));
    entry.placeholder = input.placeholder || "Add…";
    entry.disabled = input.disabled || !!input.closest("fieldset[disabled]");
    input.id = input.id + "-value";
    input.type = "hidden";

    function values() {
      return input.value.split(/[\s,]+/).filter(function (v) { return v; });
    }
    function render() {
      box.querySelectorAll(".chip").forEach(function (c) { c.remove(); });
      values().forEach(function (value) {
        var chip = document.createElement("span");
        chip.className = "chip";
        chip.textContent = value;
        var remove = document.createElement("button");
        remove.type = "button";
        remove.textContent = "×";
        remove.setAttribute("aria-label", "Remove " + value);
        remove.disabled = entry.disabled;
        remove.addEventListener("click", function () {
          input.value = values().filter(function (v) { return v !== value; }).join(", ");
          render();
          entry.focus();
        });
        chip.appendChild(remove);
        box.insertBefore(chip, entry);
      });
    }
    function commit() {
      var added = entry.value.split(/[\s,]+/).filter(function (v) { return v; });
      if (!added.length) return;
      var all = values();
      added.forEach(function (v) { if (all.indexOf(v) < 0) all.push(v); });
      input.value = all.join(", ");
      entry.value = "";
      render();
    }
    entry.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === ",") { e.preventDefault(); commit(); }
      else if (e.key === "Backspace" && !entry.value) {
        var all = values(); all.pop(); input.value = all.join(", "); render();
      }
    });
    entry.addEventListener("change", commit);
    entry.addEventListener("blur", commit);
    if (input.form) input.form.addEventListener("submit", commit);
    input.parentNode.insertBefore(box, input);
    box.appendChild(entry);
    box.appendChild(input);
    box.addEventListener("click", function (e) { if (e.target === box) entry.focus(); });
    render();
  }
  document.querySelectorAll("input[data-tags]").forEach(enhance);

  // On a phone the filter panel starts folded, so the list comes first.
  if (window.matchMedia("(max-width: 760px)").matches) {
    document.querySelectorAll(".filters details").forEach(function (d) { d.open = false; });
  }
})();
