/* The search page's filters sit behind a "Filter results" toggle (a <details>),
 * so on a phone the results come first. On a wide screen, where the filters have
 * their own column beside the results, they are opened. Without JavaScript the
 * toggle still works: one click shows them. */
(function () {
  'use strict'
  var filters = document.getElementById('filters')
  if (!filters || !window.matchMedia) return
  var wide = window.matchMedia('(min-width: 40.0625em)')
  function follow () { if (wide.matches) filters.open = true }
  follow()
  if (wide.addEventListener) wide.addEventListener('change', follow)
})()
