// Print buttons: any element with data-print prints the page. The buttons start hidden, so a
// browser without JavaScript does not show a button that does nothing.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
