// story.js checks the size of the photo chosen on the story form before
// it is sent: a phone on a slow line should not upload 30 MB only to be
// told it was too large. The server checks again; without script it is
// the only check.
(function () {
  'use strict';
  var input = document.getElementById('photo');
  if (!input || !input.dataset.max) {
    return;
  }
  var max = Number(input.dataset.max) * 1024 * 1024;
  input.addEventListener('change', function () {
    var f = input.files && input.files[0];
    input.setCustomValidity(f && f.size > max ? input.dataset.tooLarge : '');
    input.reportValidity();
  });
})();
