/* Title suggestions for the search box: an enhancement using the browser's own
 * <datalist>, so screen readers and keyboards get the native behaviour. Without
 * JavaScript the box is a plain search box. */
(function () {
  'use strict'
  var inputs = document.querySelectorAll('input[data-autocomplete]')
  Array.prototype.forEach.call(inputs, function (input, index) {
    var list = document.createElement('datalist')
    list.id = input.id + '-suggestions-' + index
    input.parentNode.appendChild(list)
    input.setAttribute('list', list.id)
    var timer = null
    var asked = ''
    input.addEventListener('input', function () {
      window.clearTimeout(timer)
      var text = input.value.trim()
      if (text.length < 2 || text === asked) return
      timer = window.setTimeout(function () {
        asked = text
        fetch(input.getAttribute('data-autocomplete') + '?q=' + encodeURIComponent(text), {
          headers: { Accept: 'application/json' }, credentials: 'same-origin'
        })
          .then(function (response) { return response.ok ? response.json() : { suggestions: [] } })
          .then(function (data) {
            list.textContent = ''
            data.suggestions.forEach(function (s) {
              var option = document.createElement('option')
              option.value = s.title
              list.appendChild(option)
            })
          })
          .catch(function () {})
      }, 200)
    })
  })
})()
