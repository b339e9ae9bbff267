// Membership pages: the amount slider (the number field and suggested amounts work without it), keeping the
// chosen amount across signing in, and posting the payment provider's form on its own.
(function () {
  var slider = document.getElementById('amount-slider'), field = document.getElementById('amount');
  var form = document.getElementById('membership-form'), nexts = document.querySelectorAll('.membership-next');
  function remember() {
    if (!form || !field) return;
    var checked = form.querySelector('input[name=interval]:checked');
    var interval = checked ? checked.value : 'month';
    for (var i = 0; i < nexts.length; i++) {
      nexts[i].value = '/membership?interval=' + encodeURIComponent(interval) + '&amount=' + encodeURIComponent(field.value);
    }
  }
  if (slider && field) {
    slider.hidden = false;
    slider.removeAttribute('aria-hidden');
    slider.setAttribute('aria-label', 'Amount');
    slider.addEventListener('input', function () { field.value = slider.value; remember(); });
    field.addEventListener('input', function () { if (+field.value >= +slider.min) slider.value = field.value; remember(); });
  }
  if (form) form.addEventListener('change', remember);
  var provider = document.querySelector('form[data-auto-submit]');
  if (provider) provider.submit();
})();
