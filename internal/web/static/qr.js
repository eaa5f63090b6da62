// qr.js keeps the organiser's check-in QR code current: every minute it
// asks for the current check-in address, then swaps the image and the
// printed link and code. Without script the page has a reload link (and
// the full-screen page a meta refresh). A tap on the image refreshes it
// at once.
(function () {
  'use strict';
  var img = document.getElementById('qr');
  if (!img || !img.dataset.qrPng || !img.dataset.qrText) {
    return;
  }
  function schedule() {
    // Just after the next turn of the minute, when the code changes.
    setTimeout(refresh, 60000 - (Date.now() % 60000) + 1000);
  }
  function update() {
    return fetch(img.dataset.qrText, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) {
        if (!r.ok) {
          throw new Error('qr.txt: ' + r.status);
        }
        return r.text();
      })
      .then(function (u) {
        var code = new URL(u).searchParams.get('c') || '';
        img.src = img.dataset.qrPng + '?c=' + encodeURIComponent(code);
        img.dataset.checkinUrl = u;
        var a = document.getElementById('checkin-url');
        if (a) {
          a.href = u;
          a.textContent = u;
        }
        var c = document.getElementById('checkin-code');
        if (c) {
          c.textContent = code;
        }
      })
      .catch(function () { /* keep the last code; try again next minute */ });
  }
  function refresh() {
    update().then(schedule);
  }
  // A tap on the code fetches the current one at once.
  img.addEventListener('click', update);
  schedule();
})();
