// Site-wide behaviour, no inline scripts (the Content-Security-Policy forbids them).
document.documentElement.classList.add("js");
document.addEventListener("change", (event) => {
  const form = event.target.closest("form[data-autosubmit]");
  if (form) form.submit();
});
