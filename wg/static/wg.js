/* wg: small progressive enhancements. Every form works without this file. */
(function () {
  "use strict";
  var PREFIX = "wg-draft:";

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  // A page that confirms a save clears the unsaved drafts it names.
  function clearConfirmedDrafts(store) {
    document.querySelectorAll("[data-wg-clear-draft]").forEach(function (el) {
      el.getAttribute("data-wg-clear-draft").split(" ").forEach(function (key) {
        if (key) { store.removeItem(PREFIX + key); }
      });
    });
  }

  // Private autosave: what is typed in an editor is kept in this browser until the save is confirmed, so a
  // reload or a crashed tab loses nothing. It never leaves the browser.
  function setUpAutosave(store, form) {
    var key = PREFIX + form.getAttribute("data-wg-autosave-key");
    var offer = document.querySelector("[data-wg-autosave-offer]");
    function fields() {
      return Array.prototype.filter.call(form.querySelectorAll("input[name], textarea[name], select[name]"),
        function (el) { return el.type !== "hidden" && el.type !== "submit" && el.name !== "_csrf_token"; });
    }
    function snapshot() {
      var values = {};
      fields().forEach(function (el) { values[el.name] = el.value; });
      return values;
    }
    var initial = JSON.stringify(snapshot());
    var stored = null;
    try { stored = JSON.parse(store.getItem(key) || "null"); } catch (e) { stored = null; }
    if (stored && stored.values && JSON.stringify(stored.values) !== initial && offer) {
      var when = offer.querySelector("[data-wg-autosave-time]");
      if (when) { when.textContent = new Date(stored.at).toLocaleString(); }
      offer.hidden = false;
      offer.querySelector("[data-wg-autosave-restore]").addEventListener("click", function () {
        fields().forEach(function (el) {
          if (Object.prototype.hasOwnProperty.call(stored.values, el.name)) {
            el.value = stored.values[el.name];
            el.dispatchEvent(new Event("input", { bubbles: true }));
          }
        });
        // The kept text was typed starting from an older revision: save it as an edit of that revision, so the
        // server merges it with what was saved since (or shows the conflict) instead of silently undoing it.
        if (stored.base && /^[0-9]+$/.test(stored.base)) {
          var base = form.querySelector("input[name=base_rev_no]");
          if (base) { base.value = stored.base; }
          form.setAttribute("data-wg-base-rev", stored.base);
          document.querySelectorAll("[data-wg-base-rev-label]").forEach(function (el) {
            el.textContent = stored.base;
          });
        }
        offer.hidden = true;
      });
      offer.querySelector("[data-wg-autosave-discard]").addEventListener("click", function () {
        store.removeItem(key);
        offer.hidden = true;
      });
    }
    var timer = null;
    function keep() {
      var values = snapshot();
      if (JSON.stringify(values) === initial) { return; }
      store.setItem(key, JSON.stringify({ values: values, at: new Date().toISOString(),
                                          base: form.getAttribute("data-wg-base-rev") }));
    }
    form.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(keep, 250);
    });
    window.addEventListener("pagehide", keep);
  }

  function start() {
    var store = storage();
    if (!store) { return; }
    clearConfirmedDrafts(store);
    document.querySelectorAll("form[data-wg-autosave-key]").forEach(function (form) {
      setUpAutosave(store, form);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

/* presence and audit (issue 18): the editor's presence line is re-fetched every few seconds; swap it only when
   what it says changed, so a screen reader announces a change, not the same sentence every poll. */
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var target = evt.detail.target;
    if (!target || !target.hasAttribute || !target.hasAttribute("data-wg-presence")) { return; }
    var text = evt.detail.serverResponse || "";
    if (target.getAttribute("data-wg-presence-last") === text) {
      evt.detail.shouldSwap = false;
      return;
    }
    target.setAttribute("data-wg-presence-last", text);
  });
})();
