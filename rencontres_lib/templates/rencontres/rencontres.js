// The report pages' own script, served as assets/rencontres.js (the pages' Content-Security-Policy
// runs no inline script): draws the charts from their JSON data blocks, sortable tables,
// keyboard access to wide tables. No external resource.
function dessinerGraphiques() {
  if (typeof Plotly === "undefined") { return; }
  document.querySelectorAll("div.graphique-plotly[data-donnees]").forEach(function (div) {
    var bloc = document.getElementById(div.getAttribute("data-donnees"));
    if (!bloc || div.getAttribute("data-dessine")) { return; }
    var fig = JSON.parse(bloc.textContent);
    // locale "fr": registered below (Plotly.register); plotly falls back to English without it
    var config = { displaylogo: false, responsive: true, locale: "fr", showSendToCloud: false, modeBarButtonsToRemove: ["select2d", "lasso2d"] };
    Plotly.newPlot(div, fig.data || [], fig.layout || {}, config);
    div.setAttribute("data-dessine", "1");
  });
}

function tablesTriables() {
document.querySelectorAll("table.triable").forEach(function (table) {
  table.querySelectorAll("thead th").forEach(function (th, col) {
    th.setAttribute("tabindex", "0");
    th.setAttribute("aria-sort", "none");
    function sort() {
      var asc = th.getAttribute("aria-sort") !== "ascending";
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].textContent.trim(), y = b.cells[col].textContent.trim();
        var nx = parseFloat(x.replace(/\s/g, "").replace(",", ".")), ny = parseFloat(y.replace(/\s/g, "").replace(",", "."));
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y, "fr");
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
      table.querySelectorAll("thead th").forEach(function (h) { h.setAttribute("aria-sort", "none"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sort(); } });
  });
});
}

// A table wider than its column scrolls sideways: make it reachable and scrollable with the
// keyboard (focusable group named by its caption), as WCAG 2.1.1 asks. A group rather than a
// region: several tables share a caption and landmarks must have unique names.
function regionsDefilantes() {
  document.querySelectorAll(".tableau-conteneur").forEach(function (box) {
    if (box.scrollWidth > box.clientWidth + 1) {
      var caption = box.querySelector("caption");
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "group");
      box.setAttribute("aria-label", caption ? caption.textContent.trim() : "Tableau");
    } else if (box.getAttribute("role") === "group") {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
  });
}
function demarrer() {
  dessinerGraphiques();
  tablesTriables();
  regionsDefilantes();
  window.addEventListener("resize", regionsDefilantes);
}

// ---------------------------------------------------------------- plotly in French, offline
// The toolbar (modebar), notices and hover labels of plotly in French: the figures' config says
// locale "fr" (dessinerGraphiques), registered here from this file only (no inline script, no CDN).
// Numbers themselves follow each figure's layout.separators (",\u202f", set by charts.py);
// this locale gives the same marks plus French month and day names for date axes.
// enregistrerLocalePlotly() is a hoisted function declaration: code that draws figures can call
// it first, wherever it sits in this file; it registers once and returns true the first time.
function enregistrerLocalePlotly() {
  if (typeof Plotly === "undefined" || typeof Plotly.register !== "function") { return false; }
  if (enregistrerLocalePlotly.fait) { return false; }
  var nb = "\u00a0"; // no-break space before « : »
  Plotly.register({
    moduleType: "locale",
    name: "fr",
    dictionary: {
      "Autoscale": "Échelle automatique",
      "Box Select": "Sélection rectangulaire",
      "Cancel": "Annuler",
      "Click to enter Colorscale title": "Cliquer pour saisir le titre de l’échelle de couleurs",
      "Click to enter Colourscale title": "Cliquer pour saisir le titre de l’échelle de couleurs",
      "Click to enter Component A title": "Cliquer pour saisir le titre de la composante A",
      "Click to enter Component B title": "Cliquer pour saisir le titre de la composante B",
      "Click to enter Component C title": "Cliquer pour saisir le titre de la composante C",
      "Click to enter Plot title": "Cliquer pour saisir le titre du graphique",
      "Click to enter Plot subtitle": "Cliquer pour saisir le sous-titre du graphique",
      "Click to enter X axis title": "Cliquer pour saisir le titre de l’axe horizontal",
      "Click to enter Y axis title": "Cliquer pour saisir le titre de l’axe vertical",
      "Click to enter radial axis title": "Cliquer pour saisir le titre de l’axe radial",
      "Compare data on hover": "Comparer les données au survol",
      "Double-click on legend to isolate one trace": "Double-cliquer sur la légende pour n’afficher qu’une série",
      "Double-click to zoom back out": "Double-cliquer pour revenir à la vue d’ensemble",
      "Download plot": "Télécharger le graphique",
      "Download plot as a PNG": "Télécharger le graphique en image PNG",
      "Download plot as a png": "Télécharger le graphique en image PNG",
      "Download plot as JSON": "Télécharger le graphique en JSON",
      "Draw circle": "Tracer un cercle",
      "Draw closed freeform": "Tracer une forme libre fermée",
      "Draw line": "Tracer une ligne",
      "Draw open freeform": "Tracer une forme libre ouverte",
      "Draw rectangle": "Tracer un rectangle",
      "Erase active shape": "Effacer la forme sélectionnée",
      "Image download succeeded": "Image téléchargée",
      "JSON download succeeded": "Fichier JSON téléchargé",
      "Lasso Select": "Sélection au lasso",
      "Orbital rotation": "Rotation orbitale",
      "Pan": "Déplacer",
      "Preparing image - this may take a few seconds": "Préparation de l’image, quelques secondes…",
      "Produced with Plotly.js": "Réalisé avec Plotly.js",
      "Reset": "Réinitialiser",
      "Reset axes": "Réinitialiser les axes",
      "Reset camera to default": "Revenir à la vue par défaut",
      "Reset camera to last save": "Revenir à la dernière vue enregistrée",
      "Reset view": "Réinitialiser la vue",
      "Reset views": "Réinitialiser les vues",
      "Share": "Partager",
      "Share chart": "Partager le graphique",
      "Share chart...": "Partager le graphique…",
      "This chart will be sent to {serverUrl}.": "Ce graphique sera envoyé à {serverUrl}.",
      "If you don't have a Plotly Cloud account yet, you'll have a chance to create one.":
        "Sans compte Plotly Cloud, vous pourrez en créer un.",
      "Show closest data on hover": "Afficher la donnée la plus proche au survol",
      "Snapshot succeeded": "Image téléchargée",
      "Sorry, there was a problem downloading your image!": "Le téléchargement de l’image a échoué.",
      "Sorry, there was a problem downloading your JSON file!": "Le téléchargement du fichier JSON a échoué.",
      "Sorry, there was a problem downloading your snapshot!": "Le téléchargement de l’image a échoué.",
      "Taking snapshot - this may take a few seconds": "Préparation de l’image, quelques secondes…",
      "Toggle Spike Lines": "Afficher ou masquer les lignes de repère",
      "Toggle show closest data on hover": "Afficher ou non la donnée la plus proche au survol",
      "Turntable rotation": "Rotation sur plateau",
      "Zoom": "Zoom",
      "Zoom in": "Zoom avant",
      "Zoom out": "Zoom arrière",
      "close:": "clôture" + nb + ":",
      "high:": "haut" + nb + ":",
      "incoming flow count:": "flux entrants" + nb + ":",
      "kde:": "densité" + nb + ":",
      "lat:": "lat." + nb + ":",
      "lon:": "long." + nb + ":",
      "low:": "bas" + nb + ":",
      "lower fence:": "limite basse" + nb + ":",
      "max:": "max." + nb + ":",
      "mean ± σ:": "moyenne ± σ" + nb + ":",
      "mean:": "moyenne" + nb + ":",
      "median:": "médiane" + nb + ":",
      "min:": "min." + nb + ":",
      "new text": "nouveau texte",
      "open:": "ouverture" + nb + ":",
      "outgoing flow count:": "flux sortants" + nb + ":",
      "q1:": "q1" + nb + ":",
      "q3:": "q3" + nb + ":",
      "source:": "source" + nb + ":",
      "target:": "cible" + nb + ":",
      "trace": "série",
      "upper fence:": "limite haute" + nb + ":"
    },
    format: {
      days: ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
      shortDays: ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
      months: ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
        "septembre", "octobre", "novembre", "décembre"],
      shortMonths: ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.",
        "oct.", "nov.", "déc."],
      periods: ["AM", "PM"],
      decimal: ",",
      thousands: "\u202f",
      grouping: [3],
      currency: ["", "\u00a0€"],
      date: "%d/%m/%Y",
      time: "%H:%M:%S",
      dateTime: "%A %e %B %Y, %X",
      year: "%Y",
      month: "%B %Y",
      dayMonth: "%e %b",
      dayMonthYear: "%e %b %Y"
    }
  });
  enregistrerLocalePlotly.fait = true;
  return true;
}

// Registered as soon as this file runs. Figures drawn before (by a script that did not call
// enregistrerLocalePlotly first) built their toolbar in English: draw them again.
(function () {
  var dejaDessines = document.querySelectorAll(".js-plotly-plot");
  if (!enregistrerLocalePlotly() || !dejaDessines.length) { return; }
  Array.prototype.forEach.call(dejaDessines, function (gd) {
    var ctx = gd._context || {};
    if (ctx.locale !== "fr" || !gd.data) { return; }
    var config = {};
    ["displaylogo", "displayModeBar", "responsive", "locale", "modeBarButtonsToRemove",
      "modeBarButtonsToAdd", "staticPlot", "scrollZoom", "toImageButtonOptions"].forEach(function (k) {
      if (ctx[k] !== undefined) { config[k] = ctx[k]; }
    });
    Plotly.newPlot(gd, gd.data, gd.layout, config);
  });
})();

// started last, once every definition above (the French locale included) is in place
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", demarrer);
} else {
  demarrer();
}
