// The portal's API example: the full address, and a copy button.
document.querySelectorAll('#api-example .origin').forEach(function (e) {
  e.textContent = location.origin;
});
var copy = document.getElementById('copy-api');
if (copy) {
  copy.addEventListener('click', function () {
    var text = "curl '" + location.origin + copy.dataset.copy + "'";
    if (navigator.clipboard) { navigator.clipboard.writeText(text); }
    copy.textContent = copy.textContent.replace(/ ✓$/, '') + ' ✓';
  });
}
