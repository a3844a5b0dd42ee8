// The Stepper's player: one picture per graph, drawn once; each step is a record applied to it.
// It touches nothing outside its own root element, so several players can share a page; a
// notebook's player also hides the output just before it, its static picture of step 0.
(function () {
  "use strict";
  var id = "__PLAYER_ID__";
  var script = document.currentScript;

  // Usually the script sits in the player and runs once it is on the page. Some front ends run it
  // earlier, before the output is attached (then it looks again shortly), and a page may show the
  // same output twice (then each copy's script wires its own copy, found through its parent).
  function find(tries) {
    var here = script && script.parentNode;
    var root = here && here.id === id ? here : document.getElementById(id);
    if (root) wire(root);
    else if (tries < 100) setTimeout(function () { find(tries + 1); }, 50);
  }
  find(0);

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // The text of the root's first HTML comment: a notebook player's data.
  function comment(root) {
    for (var n = root.firstChild; n; n = n.nextSibling) if (n.nodeType === 8) return n.data;
    throw new Error("gradwalk player " + id + ": no data");
  }

  // A notebook player's parts, made here: style, notes, heading and explanation; then it shows.
  function build(root, data) {
    root.appendChild(el("style", {}, data.css));
    data.notes.forEach(function (note) { root.appendChild(el("p", { "class": "gw-warn" }, note)); });
    root.appendChild(el("div", { "data-gw": "phase", "class": "gw-phase" }));
    root.appendChild(el("pre", { "data-gw": "explain", "class": "gw-explain" }));
    if (!data.svgs.length) root.appendChild(el("p", { "class": "gw-note" }, data.problem));
    root.removeAttribute("hidden");
    root.className = "gw-stepper";
    if (data.picture) hideStatic(root, data.picture, 0);
  }

  // The output before the player shows step 0 as a PNG for readers without scripts; here the
  // player shows it, so hide that output: the last image before the player whose data holds
  // this picture's mark, with the output area around it (JupyterLab, classic Notebook,
  // nbconvert). The front end may attach the player, or draw the picture, a moment later.
  function hideStatic(root, mark, tries) {
    var found = null;
    if (root.isConnected) {
      var images = document.getElementsByTagName("img");
      for (var i = 0; i < images.length; i++) {
        var img = images[i];
        var before = img.compareDocumentPosition(root) & Node.DOCUMENT_POSITION_FOLLOWING;
        if (before && img.src.indexOf(mark) >= 0) found = img;
      }
    }
    if (found) {
      var area = found.closest(".jp-OutputArea-child, .output_area");
      if (!area || area.contains(root)) area = found;
      area.style.display = "none";
      area.setAttribute("data-gw-hidden-by", id);
    } else if (tries < 300) {
      setTimeout(function () { hideStatic(root, mark, tries + 1); }, 100);
    }
  }

  function wire(root) {
    // Notebook front ends may run an output's scripts more than once; wire the player once.
    if (root.getAttribute("data-gw-ready") === "1") return;
    root.setAttribute("data-gw-ready", "1");

    function part(name) {
      return root.querySelector("[data-gw=\"" + name + "\"]");
    }
    // Two forms: a page's player carries its data in a JSON script, its style, explanation and a
    // static picture; a notebook's carries only its data, in a comment, and this script (the
    // static picture is the output before it), and is hidden until this script shows it.
    var holder = part("data");
    var data = holder ? JSON.parse(holder.textContent) : JSON.parse(comment(root));
    if (!holder) build(root, data);
    var steps = data.steps;
    var last = steps.length - 1;
    var explain = part("explain");
    var phase = part("phase");

    // The controls exist only where the script runs: without it they would be dead buttons.
    var controls = el("div", { "class": "gw-controls" });
    var prev = el("button", { type: "button", "data-gw": "prev", title: "previous step (←)" }, "◀ Prev");
    var slider = el("input", { type: "range", "data-gw": "slider", "class": "gw-slider", min: "0",
      max: String(last), value: "0", step: "1", "aria-label": "step" });
    var next = el("button", { type: "button", "data-gw": "next", title: "next step (→)" }, "Next ▶");
    var zoomOut = el("button", { type: "button", "data-gw": "zoom-out", title: "zoom out (-)" }, "−");
    var zoomIn = el("button", { type: "button", "data-gw": "zoom-in", title: "zoom in (+)" }, "+");
    var fit = el("button", { type: "button", "data-gw": "fit", title: "fit the graph in view (0)" }, "fit");
    var actual = el("button", { type: "button", "data-gw": "actual", title: "actual size (1)" }, "1:1");
    [prev, slider, next, zoomOut, zoomIn, fit, actual].forEach(function (c) { controls.appendChild(c); });
    controls.appendChild(el("span", { "class": "gw-hint" }, "click, then ← → to step; drag to pan"));
    root.insertBefore(controls, phase);
    var key = el("div", { "class": "gw-key" });
    key.innerHTML = '<span class="gw-key-node">taking the step</span>' +
      '<span class="gw-key-parent">parents it passes to (reads from)</span>' +
      '<span class="gw-key-changed">value just changed</span>';

    // The picture: the static step-0 image is replaced by the live SVG in a scrolling viewport.
    var view = el("div", { "data-gw": "view", "class": "gw-view" });
    var stage = el("div", { "data-gw": "frame", "class": "gw-frame" });
    view.appendChild(stage);
    var staticPart = part("static");
    if (data.svgs.length) {
      if (staticPart) {
        root.insertBefore(key, staticPart);
        staticPart.replaceWith(view);
      } else {
        root.appendChild(key);
        root.appendChild(view);
      }
    }

    // Each graph's cell texts as they stand at the current step.
    var texts = data.base.map(function (b) { var t = {}; for (var c in b) t[c] = b[c]; return t; });
    var current = -1;
    var shownSvg = -1;
    var shownGraph = -1;
    var cellEls = {}; // cell -> [text element, its label such as "data "]
    var lit = [];
    var scale = 1;
    var natural = [1, 1];

    function svgEl() { return stage.querySelector("svg"); }

    function showSvg(j) {
      if (j === shownSvg || j === null || j === undefined) return false;
      stage.innerHTML = data.svgs[j];
      shownSvg = j;
      cellEls = {};
      var svg = svgEl();
      var w = parseFloat(svg.getAttribute("width")), h = parseFloat(svg.getAttribute("height"));
      natural = [w * 96 / 72, h * 96 / 72]; // Graphviz sizes are in points
      svg.removeAttribute("width");
      svg.removeAttribute("height");
      applyScale();
      return true;
    }

    function cell(name) {
      if (!(name in cellEls)) {
        var t = document.getElementById(id + "-s" + shownSvg + "-" + name);
        var label = t ? t.textContent.slice(0, t.textContent.indexOf(" ") + 1) : "";
        cellEls[name] = [t, label];
      }
      return cellEls[name];
    }

    function write(name, text) {
      var c = cell(name);
      if (c[0]) c[0].textContent = c[1] + text;
    }

    function byId(name) {
      return name ? document.getElementById(id + "-s" + shownSvg + "-" + name) : null;
    }

    function highlight(rec) {
      lit.forEach(function (e) { e.classList.remove("gw-node", "gw-parent", "gw-flow", "gw-changed"); });
      lit = [];
      function mark(name, cls) {
        var e = byId(name);
        if (e) { e.classList.add(cls); lit.push(e); }
        return e;
      }
      var node = mark(rec[1], "gw-node");
      rec[2].forEach(function (p) { mark(p, "gw-parent"); });
      rec[3].forEach(function (e) { mark(e, "gw-flow"); });
      rec[4].forEach(function (c) { mark(c[0], "gw-changed"); });
      if (node) reveal(node);
    }

    // Scroll the viewport (not the page) so the step's node is in sight.
    function reveal(e) {
      var v = view.getBoundingClientRect(), r = e.getBoundingClientRect();
      var margin = 24;
      if (r.left < v.left + margin || r.right > v.right - margin)
        view.scrollLeft += (r.left + r.right) / 2 - (v.left + v.right) / 2;
      if (r.top < v.top + margin || r.bottom > v.bottom - margin)
        view.scrollTop += (r.top + r.bottom) / 2 - (v.top + v.bottom) / 2;
    }

    function applyScale() {
      var svg = svgEl();
      if (!svg) return;
      svg.style.width = (natural[0] * scale) + "px";
      svg.style.height = (natural[1] * scale) + "px";
      root.setAttribute("data-scale", String(scale));
    }

    function fitScale() {
      var w = view.clientWidth - 4, h = Math.max(view.clientHeight, 120) - 4;
      return Math.min(1, w / natural[0], h / natural[1]);
    }

    function zoom(s) {
      scale = Math.max(0.01, Math.min(4, s));
      applyScale();
    }

    function show(i) {
      i = Math.max(0, Math.min(last, i));
      var changed = {};
      while (current < i) {
        current++;
        steps[current][4].forEach(function (c) { texts[steps[current][0]][c[0]] = c[1]; changed[c[0]] = 1; });
      }
      while (current > i) {
        var rec = steps[current];
        for (var k = rec[4].length - 1; k >= 0; k--) { texts[rec[0]][rec[4][k][0]] = rec[4][k][2]; changed[rec[4][k][0]] = 1; }
        current--;
      }
      var g = steps[i][0];
      if (data.svgs.length) {
        var fresh = showSvg(data.graphs[g]) || g !== shownGraph;
        shownGraph = g;
        var t = texts[g];
        if (fresh) { for (var name in t) write(name, t[name]); }
        else { for (var c in changed) if (c in t) write(c, t[c]); }
        highlight(steps[i]);
      }
      explain.textContent = data.explain[i];
      explain.scrollTop = 0;
      phase.textContent = "step " + i + " / " + last + " · " + data.phase[i];
      slider.value = String(i);
      // aria-disabled, not disabled: a disabled button would drop the focus, and with it the keys.
      prev.setAttribute("aria-disabled", String(i === 0));
      next.setAttribute("aria-disabled", String(i === last));
      root.setAttribute("data-step", String(i));
    }

    prev.addEventListener("click", function () { show(current - 1); });
    next.addEventListener("click", function () { show(current + 1); });
    slider.addEventListener("input", function () { show(parseInt(slider.value, 10)); });
    zoomIn.addEventListener("click", function () { zoom(scale * 1.25); });
    zoomOut.addEventListener("click", function () { zoom(scale / 1.25); });
    fit.addEventListener("click", function () { zoom(fitScale()); });
    actual.addEventListener("click", function () { zoom(1); });

    var moves = { ArrowLeft: -1, ArrowUp: -1, ArrowRight: 1, ArrowDown: 1 };
    root.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      // Keys typed in the player are the player's: keep the notebook's shortcuts out of them.
      event.stopPropagation();
      if (event.target === slider && event.key in moves) return; // the slider moves itself
      var zooms = { "+": scale * 1.25, "=": scale * 1.25, "-": scale / 1.25, "0": null, "1": 1 };
      if (event.key in zooms) {
        event.preventDefault();
        zoom(zooms[event.key] === null ? fitScale() : zooms[event.key]);
        return;
      }
      var i = event.key in moves ? current + moves[event.key]
        : event.key === "Home" ? 0 : event.key === "End" ? last : null;
      if (i === null) return;
      event.preventDefault();
      show(i);
    });
    // A click anywhere in the player gives it the focus, so the arrow keys work at once.
    root.addEventListener("mousedown", function (event) {
      if (event.target.closest && !event.target.closest("button, input")) root.focus();
    });

    // Pan: drag the picture.
    var drag = null;
    view.addEventListener("mousedown", function (event) {
      if (event.button !== 0) return;
      drag = [event.clientX, event.clientY, view.scrollLeft, view.scrollTop];
      view.classList.add("gw-dragging");
      event.preventDefault();
      root.focus();
    });
    window.addEventListener("mousemove", function (event) {
      if (!drag) return;
      view.scrollLeft = drag[2] - (event.clientX - drag[0]);
      view.scrollTop = drag[3] - (event.clientY - drag[1]);
    });
    window.addEventListener("mouseup", function () { drag = null; view.classList.remove("gw-dragging"); });

    show(0);
    // One scale for every step: the graph's width fits the player, but text stays readable.
    // Measured once the player is on the page (a front end may attach it a moment later).
    function firstView(tries) {
      if (!view.clientWidth && tries < 300) {
        setTimeout(function () { firstView(tries + 1); }, 100);
        return;
      }
      zoom(Math.max(0.8, Math.min(1, (view.clientWidth - 4) / natural[0])));
      if (steps[0][1]) { var n0 = byId(steps[0][1]); if (n0) reveal(n0); }
    }
    if (data.svgs.length) firstView(0);
  }
})();
