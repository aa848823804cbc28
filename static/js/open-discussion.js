// UX-02: show only the fields that apply to the chosen reason and expected solution.
// Progressive enhancement only: without JavaScript every field shows, each group's legend
// saying when it applies, and the server ignores nothing silently (DSC-03).
(function () {
  "use strict";
  var form = document.querySelector(".open-discussion-form");
  if (!form) {
    return;
  }
  var amount = form.querySelector("input[name=expected_amount]");
  var lineValues = {};
  try {
    lineValues = JSON.parse(form.getAttribute("data-line-values") || "{}");
  } catch (error) {
    lineValues = {};
  }

  function checked(name) {
    var input = form.querySelector("input[name=" + name + "]:checked");
    return input ? input.value : "";
  }

  function apply(group, applies) {
    group.hidden = !applies;
    // A hidden group's inputs are not sent, so a value typed before the reason changed
    // cannot make the form fail.
    group.querySelectorAll("input, select, textarea").forEach(function (input) {
      input.disabled = !applies;
    });
  }

  function update() {
    var reason = checked("reason");
    var solutionSelect = form.querySelector("select[name=expected_solution]");
    var productGroup = form.querySelector("[data-applies-reason]");
    var partialGroup = form.querySelector("[data-applies-solution]");
    var productProblem = reason === productGroup.getAttribute("data-applies-reason");
    apply(productGroup, productProblem);
    if (productProblem) {
      var partial = solutionSelect && solutionSelect.value === partialGroup.getAttribute("data-applies-solution");
      apply(partialGroup, partial);
    }
    var line = checked("line");
    if (amount && line && lineValues[line]) {
      amount.setAttribute("max", lineValues[line]);
    }
  }

  form.addEventListener("change", update);
  update();
})();
