// Survey pages: show_if and target groups applied as the respondent answers (the server applies
// the same rules when saving), "not applicable" disables the answer inputs, print button.
(function () {
  "use strict";
  const form = document.getElementById("survey-form");

  function chosen(code) {
    return Array.from(form.querySelectorAll(`[name="${CSS.escape(code)}"]:checked`)).map((el) => el.value);
  }

  function applyVisibility() {
    if (!form) return;
    const group = (form.querySelector('[name="target_group"]:checked') || {}).value || "";
    const visible = {};
    form.querySelectorAll("fieldset[data-question]").forEach((fs) => {
      let show = true;
      const groups = fs.dataset.targetGroups;
      if (groups && !(group && groups.split(" ").includes(group))) show = false;
      const source = fs.dataset.showIf;
      if (show && source) {
        const sourceVisible = visible[source] !== undefined ? visible[source] : true;
        const wanted = (fs.dataset.showValues || "").split(" ");
        show = sourceVisible && chosen(source).some((v) => wanted.includes(v));
      }
      visible[fs.dataset.question] = show;
      fs.hidden = !show;
    });
  }

  function applyNotApplicable(box) {
    const fs = box.closest("fieldset[data-question]");
    fs.querySelectorAll("input, textarea, select").forEach((el) => {
      if (el !== box) el.disabled = box.checked;
    });
  }

  if (form) {
    // An explicit save while an autosave is still on its way would carry the old version and
    // be refused as a conflict: wait for the autosave (which brings the new version), then send.
    form.addEventListener("submit", (event) => {
      if (form.classList.contains("htmx-request")) {
        event.preventDefault();
        const submitter = event.submitter;
        form.addEventListener("htmx:afterSettle", () => form.requestSubmit(submitter), { once: true });
      }
    });
    // Leaving the page while an autosave is on its way would lose it: ask the browser to warn.
    let saving = 0;
    form.addEventListener("htmx:beforeRequest", () => { saving += 1; });
    form.addEventListener("htmx:afterRequest", () => { saving = Math.max(0, saving - 1); });
    window.addEventListener("beforeunload", (event) => {
      if (saving > 0) event.preventDefault();
    });
    form.addEventListener("change", (event) => {
      if (event.target.classList.contains("js-na")) applyNotApplicable(event.target);
      applyVisibility();
    });
    applyVisibility();
  }
})();
