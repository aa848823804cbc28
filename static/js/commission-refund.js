// REB-05: keep the commission of the ticked units up to date while the seller types.
// Progressive enhancement only: without JavaScript, "Recalculate" asks the server.
(function () {
  "use strict";
  var form = document.querySelector(".commission-form");
  if (!form) {
    return;
  }
  var symbol = form.getAttribute("data-currency-symbol") || "";
  var number = new Intl.NumberFormat(document.documentElement.lang || undefined, {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
    useGrouping: "always",
  });

  function money(cents) {
    return number.format(cents / 100) + "\u00a0" + symbol;
  }

  function update() {
    var total = 0;
    form.querySelectorAll("tr[data-unit-commission]").forEach(function (row) {
      var tick = row.querySelector("input[type=checkbox]");
      var units = row.querySelector("input[type=number]");
      var unitCents = Math.round(parseFloat(row.getAttribute("data-unit-commission")) * 100);
      var count = 0;
      if (tick && units && tick.checked && !tick.disabled && /^\d+$/.test(units.value.trim())) {
        count = parseInt(units.value, 10);
        var max = parseInt(units.getAttribute("max"), 10);
        if (!isNaN(max) && count > max) {
          count = 0;
        }
      }
      var cents = unitCents * count;
      total += cents;
      var out = row.querySelector("output.line-commission");
      if (out) {
        out.textContent = money(cents);
      }
    });
    var totalOut = document.getElementById("commission-total");
    if (totalOut) {
      totalOut.textContent = money(total);
    }
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
})();
