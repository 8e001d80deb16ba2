// The activity form: the participant picker (filter by name or pinyin initials, tick a
// deputy group, tick what is listed, clear) and the 满意度 field shown for 述职 only.
// Without JavaScript the form is a plain checkbox list and still works.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-participant-picker]").forEach(function (picker) {
    var items = Array.prototype.slice.call(picker.querySelectorAll("[data-participant]"));
    var filter = picker.querySelector("[data-filter]");
    var group = picker.querySelector("[data-group]");
    var count = picker.querySelector("[data-count]");
    function box(item) { return item.querySelector("input[type=checkbox]"); }
    function updateCount() {
      if (count) count.textContent = items.filter(function (i) { return box(i).checked; }).length;
    }
    function applyFilter() {
      var q = (filter.value || "").trim().toLowerCase();
      items.forEach(function (item) {
        var hit = !q || item.dataset.name.toLowerCase().indexOf(q) !== -1 ||
          (item.dataset.initials || "").indexOf(q) === 0;
        item.classList.toggle("d-none", !hit);
      });
    }
    if (filter) {
      filter.addEventListener("input", applyFilter);
      // Enter in the filter box must not submit the whole form.
      filter.addEventListener("keydown", function (e) { if (e.key === "Enter") e.preventDefault(); });
    }
    if (group) {
      group.addEventListener("change", function () {
        var id = group.value;
        if (!id) return;
        items.forEach(function (item) {
          if ((" " + item.dataset.groups + " ").indexOf(" " + id + " ") !== -1) box(item).checked = true;
        });
        group.value = "";
        updateCount();
      });
    }
    var shown = picker.querySelector("[data-check-shown]");
    if (shown) {
      shown.addEventListener("click", function () {
        items.forEach(function (item) { if (!item.classList.contains("d-none")) box(item).checked = true; });
        updateCount();
      });
    }
    var clear = picker.querySelector("[data-clear]");
    if (clear) {
      clear.addEventListener("click", function () {
        items.forEach(function (item) { box(item).checked = false; });
        updateCount();
      });
    }
    picker.addEventListener("change", function (e) { if (e.target.type === "checkbox") updateCount(); });
    updateCount();
  });

  var kind = document.getElementById("id_kind");
  var satisfaction = document.getElementById("div_id_satisfaction");
  if (kind && satisfaction) {
    var input = satisfaction.querySelector("input");
    var toggle = function () {
      var show = kind.value === "report_to_voters" || (input && input.value !== "");
      satisfaction.classList.toggle("d-none", !show);
    };
    kind.addEventListener("change", toggle);
    toggle();
  }
});
