// The amount slider of the membership offer: shown only with JavaScript, kept in step with the typed amount.
(function () {
  var slider = document.getElementById('amount-slider'), field = document.getElementById('amount');
  if (!slider || !field) return;
  slider.hidden = false; slider.removeAttribute('aria-hidden');
  slider.addEventListener('input', function () { field.value = slider.value; });
  field.addEventListener('input', function () { if (+field.value >= +slider.min) slider.value = field.value; });
})();
