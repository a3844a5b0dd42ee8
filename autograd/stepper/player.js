// The Stepper's player: shows one step's picture and explanation at a time.
// It touches nothing outside its own root element, so several players can share a page.
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

  function wire(root) {
    // Notebook front ends may run an output's scripts more than once; wire the player once.
    if (root.getAttribute("data-gw-ready") === "1") return;
    root.setAttribute("data-gw-ready", "1");

    function part(name) {
      return root.querySelector("[data-gw=\"" + name + "\"]");
    }
    var data = JSON.parse(part("data").textContent);
    var frame = part("frame");
    var explain = part("explain");
    var counter = part("counter");
    var slider = part("slider");
    var prev = part("prev");
    var next = part("next");
    var last = data.explain.length - 1;
    var current = 0;
    var pictures = [data.first]; // pictures[i]: the lines of step i's SVG, built when first shown

    // A patch copies (n > 0) or skips (n < 0) lines of the step before, or adds a new line (a string).
    function patched(lines, patch) {
      var out = [];
      var at = 0;
      for (var k = 0; k < patch.length; k++) {
        var op = patch[k];
        if (typeof op === "string") {
          out.push(op);
        } else if (op > 0) {
          for (var n = 0; n < op; n++) out.push(lines[at + n]);
          at += op;
        } else {
          at -= op;
        }
      }
      return out;
    }

    function picture(i) {
      for (var j = pictures.length; j <= i; j++) pictures.push(patched(pictures[j - 1], data.patches[j - 1]));
      return pictures[i];
    }

    function show(i) {
      i = Math.max(0, Math.min(last, i));
      if (i !== current) {
        frame.innerHTML = picture(i).join("\n");
        frame.setAttribute("data-gw-step", String(i));
      }
      current = i;
      explain.textContent = data.explain[i];
      counter.textContent = "step " + i + " / " + last;
      slider.value = String(i);
      // aria-disabled, not disabled: a disabled button would drop the focus, and with it the keys.
      prev.setAttribute("aria-disabled", String(i === 0));
      next.setAttribute("aria-disabled", String(i === last));
      root.setAttribute("data-step", String(i));
    }

    prev.addEventListener("click", function () { show(current - 1); });
    next.addEventListener("click", function () { show(current + 1); });
    slider.addEventListener("input", function () { show(parseInt(slider.value, 10)); });

    var moves = { ArrowLeft: -1, ArrowUp: -1, ArrowRight: 1, ArrowDown: 1 };
    root.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      // Keys typed in the player are the player's: keep the notebook's shortcuts out of them.
      event.stopPropagation();
      if (event.target === slider) return; // the slider moves itself and reports an input event
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

    show(0);
  }
})();
