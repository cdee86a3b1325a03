// The "Print this page" button opens the browser's print dialog. It is hidden until this script
// runs, so without JavaScript people see the sentence telling them to use the browser's own
// print option instead (marked data-app-print-fallback), and never a button that does nothing.
for (const button of document.querySelectorAll("[data-app-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
for (const fallback of document.querySelectorAll("[data-app-print-fallback]")) {
  fallback.hidden = true;
}
