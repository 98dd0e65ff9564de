// Site-wide behaviour, no inline scripts (the Content-Security-Policy forbids them).
document.documentElement.classList.add("js");
document.addEventListener("change", (event) => {
  const form = event.target.closest("form[data-autosubmit]");
  if (form) form.submit();
});
// Unit tree: a node's button shows or hides the list under it (htmx fills the list on the first click).
document.addEventListener("click", (event) => {
  const toggle = event.target.closest(".tree-toggle");
  if (!toggle) return;
  const open = toggle.getAttribute("aria-expanded") !== "true";
  toggle.setAttribute("aria-expanded", String(open));
  document.getElementById(toggle.getAttribute("aria-controls")).hidden = !open;
});
document.addEventListener("click", (event) => {
  if (event.target.closest(".js-print")) window.print();
});
// A preview form (the framework preview in admin) is never sent anywhere.
document.addEventListener("submit", (event) => {
  if (event.target.matches("form[data-preview]")) event.preventDefault();
});
