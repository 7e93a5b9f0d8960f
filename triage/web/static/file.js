/* Médiature — raccourcis clavier de la file de tri. La page fonctionne sans ce script : chaque action
   est un formulaire, chaque déplacement un lien ; le script ne fait qu'y donner accès au clavier.
   Les touches sont lues sur la page (liste des raccourcis), jamais codées deux fois. */
(function () {
  "use strict";
  var detail = document.querySelector("[data-detail]");
  if (!detail) { return; }
  // show the opened request from its line, the focus staying on its first action (autofocus)
  var opened = detail.closest("li");
  var focused = document.activeElement;
  if (opened && focused && detail.contains(focused) && /[?&]demande=/.test(window.location.search)) {
    opened.scrollIntoView({ block: "start" });
  }
  var keys = {};
  document.querySelectorAll("[data-raccourci]").forEach(function (item) {
    var kbd = item.querySelector("kbd");
    if (kbd) { keys[kbd.textContent.trim()] = item.getAttribute("data-raccourci"); }
  });

  function openAndFocus(id, selector) {
    var box = document.getElementById(id);
    if (!box) { return; }
    box.open = true;
    var field = box.querySelector(selector);
    if (field) { field.focus(); }
  }

  var actions = {
    accepter: function () {
      var button = detail.querySelector("[data-cible='accepter']");
      if (button) { button.click(); }
    },
    corriger: function () { openAndFocus("corriger", "select"); },
    joindre: function () {
      var button = detail.querySelector("[data-cible='joindre']");
      if (button) { button.focus(); } else { openAndFocus("joindre", "input[name='cible']"); }
    },
    ecarter: function () { openAndFocus("ecarter", "input[name='motif']"); },
    suivante: function () {
      var link = detail.querySelector("[data-lien='suivante']");
      if (link) { window.location.assign(link.href); }
    },
    precedente: function () {
      var link = detail.querySelector("[data-lien='precedente']");
      if (link) { window.location.assign(link.href); }
    }
  };

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) { return; }
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName))) { return; }
    var action = actions[keys[event.key]];
    if (action) {
      event.preventDefault();
      action();
    }
  });
})();
