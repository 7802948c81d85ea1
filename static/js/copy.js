// Copy buttons: a button with data-copy="ID" copies the value (or text) of the element with
// that id. The buttons start hidden, so a browser without JavaScript (or without clipboard
// access) does not show a button that does nothing; the field itself stays selectable.
document.querySelectorAll("[data-copy]").forEach((button) => {
  const source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) return;
  button.hidden = false;
  const label = button.textContent;
  button.addEventListener("click", () => {
    const text = "value" in source ? source.value : source.textContent;
    navigator.clipboard.writeText(text).then(() => {
      button.textContent = "✓";
      setTimeout(() => { button.textContent = label; }, 1500);
    });
  });
});
