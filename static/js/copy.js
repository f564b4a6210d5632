// "Copy" buttons: <button data-copy="#id"> copies the text of the element #id (a
// takedown notice or a report to an authority) to the clipboard. No inline script (CSP).
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) return;
  var source = document.querySelector(button.getAttribute("data-copy"));
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent).then(function () {
    button.setAttribute("data-copied", "true");
  });
});
