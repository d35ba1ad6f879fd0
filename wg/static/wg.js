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
      // The block at the end of this file rewrites it in the app's own format and the member's time zone.
      if (when) { when.textContent = new Date(stored.at).toLocaleString(); when.setAttribute("data-wg-time", stored.at); }
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

/* editor and paragraph comments (issue 18): character counts, the app's date format for the autosave notice,
   commenting on a paragraph by choosing its ¶ number, and @ completing members' names. */
(function () {
  "use strict";
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  // A time written as the server's `localtime` filter writes it ("5 Dec 2026, 18:02 CET"), in the member's zone.
  function appTime(iso, zone, names) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) { return ""; }
    var parts = {};
    var format;
    try {
      format = new Intl.DateTimeFormat("en-GB", { timeZone: zone || "UTC", year: "numeric", month: "numeric",
        day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "longOffset" });
    } catch (e) {
      return date.toISOString().slice(0, 16).replace("T", " ") + " UTC";
    }
    format.formatToParts(date).forEach(function (p) { parts[p.type] = p.value; });
    var offset = 0;
    var m = /GMT([+-])(\d{2}):?(\d{2})?/.exec(parts.timeZoneName || "");
    if (m) { offset = (m[1] === "-" ? -1 : 1) * (parseInt(m[2], 10) * 60 + parseInt(m[3] || "0", 10)); }
    var name = (names && names[String(offset)]) || (parts.timeZoneName === "GMT" ? "UTC" : parts.timeZoneName);
    return parseInt(parts.day, 10) + " " + MONTHS[parseInt(parts.month, 10) - 1] + " " + parts.year + ", " +
      parts.hour + ":" + parts.minute + " " + name;
  }

  function formatTimes() {
    document.querySelectorAll("[data-wg-tz] [data-wg-time]").forEach(function (el) {
      var box = el.closest("[data-wg-tz]");
      var names = {};
      try { names = JSON.parse(box.getAttribute("data-wg-tz-names") || "{}"); } catch (e) { names = {}; }
      var text = appTime(el.getAttribute("data-wg-time"), box.getAttribute("data-wg-tz"), names);
      if (text) { el.textContent = text; }
    });
  }

  // Characters typed against the limit. The visible count follows every keystroke; screen readers hear it only
  // when it matters (nearing the limit, over it, back under it), through one polite live region per field.
  var NEAR = 0.9;
  // Characters as the server counts them (code points: an emoji is one, not two UTF-16 units).
  function characters(text) {
    var pairs = text.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g);
    return text.length - (pairs ? pairs.length : 0);
  }
  function updateCount(field) {
    var out = document.querySelector('[data-wg-count-for="' + field.id + '"]');
    if (!out) { return; }
    var max = parseInt(field.getAttribute("data-wg-maxlength"), 10);
    var n = characters(field.value);
    var state = n > max ? "over" : (n >= NEAR * max ? "near" : "ok");
    out.textContent = n.toLocaleString("en-US") + " of " + max.toLocaleString("en-US") + " characters" +
      (state === "over" ? ": " + (n - max).toLocaleString("en-US") + " too many" : "");
    out.classList.toggle("over", state === "over");
    out.classList.toggle("near", state === "near");
    var previous = field.getAttribute("data-wg-count-state") || "ok";
    if (state !== previous) {
      field.setAttribute("data-wg-count-state", state);
      var live = document.getElementById(out.id + "-live");
      if (live) {
        live.textContent = state === "over" ? "Over the limit of " + max.toLocaleString("en-US") + " characters."
          : state === "near" ? "Nearing the limit: " + (max - n).toLocaleString("en-US") + " characters left."
          : previous === "over" ? "Back within the limit." : "";
      }
    }
  }
  function setUpCount(field) {
    var out = document.querySelector('[data-wg-count-for="' + field.id + '"]');
    if (!out || field.hasAttribute("data-wg-count-ready")) { return; }
    field.setAttribute("data-wg-count-ready", "");
    if (!document.getElementById(out.id + "-live")) {
      var live = document.createElement("span");
      live.id = out.id + "-live";
      live.className = "visually-hidden";
      live.setAttribute("aria-live", "polite");
      out.parentNode.insertBefore(live, out.nextSibling);
    }
    var max = parseInt(field.getAttribute("data-wg-maxlength"), 10);
    var n = characters(field.value);
    field.setAttribute("data-wg-count-state", n > max ? "over" : (n >= NEAR * max ? "near" : "ok"));
    updateCount(field);
  }
  var pending = null;
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (!(field instanceof HTMLElement) || !field.hasAttribute("data-wg-maxlength")) { return; }
    if (pending) { return; }
    pending = window.requestAnimationFrame(function () { pending = null; updateCount(field); });
  });

  // ¶N opens the comment form on that paragraph (without JS the link reloads the page with it chosen).
  function chooseParagraph(n) {
    var form = document.getElementById("comment-form");
    var number = document.getElementById("field-paragraph");
    var body = document.getElementById("field-body");
    if (!form || !number || !body) { return false; }
    number.value = n;
    var label = form.querySelector("[data-wg-paragraph-label]");
    if (label) { label.textContent = " on \u00b6" + n; }
    form.classList.add("for-paragraph");
    form.scrollIntoView({ block: "center" });
    body.focus();
    return true;
  }
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (!(field instanceof HTMLElement) || field.id !== "field-paragraph") { return; }
    var label = document.querySelector("#comment-form [data-wg-paragraph-label]");
    var value = field.value.trim();
    if (label) { label.textContent = /^[0-9]+$/.test(value) ? " on \u00b6" + value : ""; }
  });
  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element ? event.target.closest("a[data-wg-paragraph]") : null;
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) { return; }
    if (chooseParagraph(link.getAttribute("data-wg-paragraph"))) { event.preventDefault(); }
  });

  // @ completes members' names: the textarea keeps focus and points at the highlighted option
  // (aria-activedescendant); arrow keys move, Enter or Tab picks, Escape closes.
  var rosters = {};
  function roster(url) {
    if (!rosters[url]) {
      rosters[url] = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { members: [] }; })
        .then(function (data) { return data.members || []; })
        .catch(function () { delete rosters[url]; return []; });
    }
    return rosters[url];
  }
  var MENTION_BEFORE_CARET = /(^|[^\w.@])@([a-z0-9.]*)$/i;
  function fold(s) { return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase(); }

  function Completer(field) {
    this.field = field;
    this.items = [];
    this.active = -1;
    this.list = document.createElement("ul");
    this.list.id = field.id + "-mentions";
    this.list.className = "mention-list";
    this.list.setAttribute("role", "listbox");
    this.list.setAttribute("aria-label", "Members to mention");
    this.list.hidden = true;
    this.status = document.createElement("span");
    this.status.className = "visually-hidden";
    this.status.setAttribute("aria-live", "polite");
    var holder = field.parentNode;
    holder.classList.add("mention-field");
    holder.insertBefore(this.list, field.nextSibling);
    holder.insertBefore(this.status, this.list.nextSibling);
    field.setAttribute("aria-autocomplete", "list");
    field.setAttribute("aria-controls", this.list.id);
    var self = this;
    field.addEventListener("input", function () { self.refresh(); });
    field.addEventListener("keydown", function (e) { self.key(e); });
    field.addEventListener("blur", function () { window.setTimeout(function () { self.close(); }, 150); });
    this.list.addEventListener("mousedown", function (e) { e.preventDefault(); });
    this.list.addEventListener("click", function (e) {
      var li = e.target instanceof Element ? e.target.closest("li[role=option]") : null;
      if (li) { self.pick(parseInt(li.getAttribute("data-index"), 10)); }
    });
  }
  Completer.prototype.query = function () {
    var f = this.field;
    if (f.selectionStart !== f.selectionEnd) { return null; }
    var m = MENTION_BEFORE_CARET.exec(f.value.slice(0, f.selectionStart));
    return m ? m[2] : null;
  };
  Completer.prototype.refresh = function () {
    var q = this.query();
    if (q === null) { this.close(); return; }
    var self = this;
    roster(this.field.getAttribute("data-wg-mentions")).then(function (members) {
      if (self.query() !== q) { return; }
      var needle = fold(q);
      self.items = members.filter(function (p) {
        return p.handle.indexOf(needle) === 0 || fold(p.name).split(/[\s-]+/).some(function (w) {
          return w.indexOf(needle) === 0;
        });
      }).slice(0, 8);
      self.active = -1;
      self.render();
    });
  };
  Completer.prototype.render = function () {
    var list = this.list;
    list.textContent = "";
    if (!this.items.length) { this.close(); this.status.textContent = "No member matches."; return; }
    var self = this;
    this.items.forEach(function (p, i) {
      var li = document.createElement("li");
      li.id = list.id + "-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("data-index", String(i));
      li.setAttribute("aria-selected", i === self.active ? "true" : "false");
      li.appendChild(document.createTextNode(p.name));
      var handle = document.createElement("span");
      handle.className = "handle";
      handle.textContent = "@" + p.handle;
      li.appendChild(handle);
      list.appendChild(li);
    });
    list.hidden = false;
    if (this.active >= 0) {
      this.field.setAttribute("aria-activedescendant", list.id + "-" + this.active);
      var li = document.getElementById(list.id + "-" + this.active);
      if (li && li.scrollIntoView) { li.scrollIntoView({ block: "nearest" }); }
    } else {
      this.field.removeAttribute("aria-activedescendant");
    }
  };
  Completer.prototype.open = function () { return !this.list.hidden && this.items.length > 0; };
  Completer.prototype.close = function () {
    this.list.hidden = true;
    this.active = -1;
    this.field.removeAttribute("aria-activedescendant");
  };
  Completer.prototype.key = function (e) {
    if (!this.open()) { return; }
    var n = this.items.length;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      this.active = e.key === "ArrowDown" ? (this.active + 1) % n : (this.active <= 0 ? n - 1 : this.active - 1);
      this.render();
      var p = this.items[this.active];
      this.status.textContent = p.name + ", " + (this.active + 1) + " of " + n;
    } else if ((e.key === "Enter" || e.key === "Tab") && this.active >= 0) {
      e.preventDefault();
      this.pick(this.active);
    } else if (e.key === "Escape") {
      e.preventDefault();
      this.close();
    }
  };
  Completer.prototype.pick = function (i) {
    var p = this.items[i];
    if (!p) { return; }
    var f = this.field;
    var before = f.value.slice(0, f.selectionStart);
    var after = f.value.slice(f.selectionEnd);
    var start = before.lastIndexOf("@");
    var insert = "@" + p.handle + (after.charAt(0) === " " ? "" : " ");
    f.value = before.slice(0, start) + insert + after;
    var caret = start + insert.length + (after.charAt(0) === " " ? 1 : 0);
    f.setSelectionRange(caret, caret);
    this.close();
    this.status.textContent = p.name + " mentioned.";
    f.dispatchEvent(new Event("input", { bubbles: true }));
  };

  // Forms come and go with htmx swaps: set up whatever is new on the page.
  function enhance(root) {
    root.querySelectorAll("textarea[data-wg-mentions]").forEach(function (field) {
      if (!field.id || field.hasAttribute("data-wg-mentions-ready")) { return; }
      field.setAttribute("data-wg-mentions-ready", "");
      new Completer(field);  // eslint-disable-line no-new
    });
    root.querySelectorAll("[data-wg-maxlength]").forEach(setUpCount);
  }
  function start() {
    formatTimes();
    enhance(document);
    // After a comment is posted in place, focus moves to it (the form that had focus was replaced).
    var before = null;
    document.body.addEventListener("htmx:beforeRequest", function (e) {
      var form = e.target instanceof Element ? e.target.closest("#comments form") : null;
      before = form ? Array.prototype.map.call(document.querySelectorAll("#comments li.comment"),
        function (li) { return li.id; }) : null;
    });
    document.body.addEventListener("htmx:afterSettle", function () {
      enhance(document);
      if (!before) { return; }
      var known = before;
      before = null;
      var added = Array.prototype.filter.call(document.querySelectorAll("#comments li.comment"),
        function (li) { return known.indexOf(li.id) < 0; });
      if (added.length) {
        added[0].setAttribute("tabindex", "-1");
        added[0].focus();
      }
    });
    var chosen = /[?&]paragraph=(\d+)/.exec(window.location.search);
    if (chosen && window.location.hash === "#comment-form") {
      var form = document.getElementById("comment-form");
      if (form) { form.classList.add("for-paragraph"); }
      var body = document.getElementById("field-body");
      if (body) { body.focus(); }
    }
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

/* phones (issue 18): on a phone, tables read as stacked rows. Each body cell gets its column's name in data-label, which
   wg.css shows before the cell at narrow widths (and hides from screen readers, which have the real headers). */
(function () {
  "use strict";

  function columnNames(table) {
    var names = [];
    var row = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    if (!row) { return names; }
    Array.prototype.forEach.call(row.cells, function (cell) {
      for (var i = 0; i < (cell.colSpan || 1); i += 1) { names.push(cell.textContent.replace(/\s+/g, " ").trim()); }
    });
    return names;
  }

  function label(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var tables = Array.prototype.slice.call(scope.querySelectorAll("table"));
    if (scope.tagName === "TABLE") { tables.push(scope); }
    tables.forEach(function (table) {
      var names = columnNames(table);
      if (!names.length) { return; }
      Array.prototype.forEach.call(table.tBodies, function (body) {
        Array.prototype.forEach.call(body.rows, function (row) {
          var column = 0;
          Array.prototype.forEach.call(row.cells, function (cell) {
            var span = cell.colSpan || 1;
            if (span === 1 && names[column] && !cell.hasAttribute("data-label")) {
              cell.setAttribute("data-label", names[column]);
            }
            column += span;
          });
        });
      });
      table.classList.add("stackable");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { label(document); });
  } else {
    label(document);
  }
  // htmx swaps in fresh tables (the exports list refreshes itself): label those too.
  document.addEventListener("htmx:load", function (event) { label(event.target); });
}());
