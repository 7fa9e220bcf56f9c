/* The lineage explorer's side panel: one asset's details (title, kind, owner,
 * classification, a link to its page), buttons to show or hide a hop either
 * side of it, and its column lineage when it has any (fetched from the asset's
 * columns.json, which leaves out columns of assets the reader may not see).
 * Everything is written as text, never as markup. Escape or "Close" returns to
 * the asset in the graph.
 */
(function () {
  'use strict'
  var panel = document.getElementById('lineage-panel')
  if (!panel) return
  var actions = null

  function el (tag, className, text) {
    var e = document.createElement(tag)
    if (className) e.className = className
    if (text !== undefined && text !== null) e.textContent = text
    return e
  }

  function link (href, text) {
    var a = el('a', 'govuk-link', text)
    a.href = href
    return a
  }

  function button (text, onClick) {
    var b = el('button', 'govuk-button govuk-button--secondary app-explorer__action', text)
    b.type = 'button'
    b.addEventListener('click', onClick)
    return b
  }

  function summary (rows) {
    var dl = el('dl', 'govuk-summary-list govuk-summary-list--no-border app-explorer__facts')
    rows.forEach(function (row) {
      if (!row[1]) return
      var div = el('div', 'govuk-summary-list__row')
      div.appendChild(el('dt', 'govuk-summary-list__key', row[0]))
      div.appendChild(el('dd', 'govuk-summary-list__value', row[1]))
      dl.appendChild(div)
    })
    return dl
  }

  function columnTable (columns) {
    var wrap = el('div', 'app-explorer__columns')
    wrap.appendChild(el('h4', 'govuk-heading-s', 'Column lineage'))
    var table = el('table', 'govuk-table app-explorer__column-table')
    var head = el('thead', 'govuk-table__head')
    var tr = el('tr', 'govuk-table__row')
    ;['Column', 'Comes from', 'Feeds'].forEach(function (h) {
      var th = el('th', 'govuk-table__header', h)
      th.scope = 'col'
      tr.appendChild(th)
    })
    head.appendChild(tr)
    table.appendChild(head)
    var body = el('tbody', 'govuk-table__body')
    columns.forEach(function (c) {
      var row = el('tr', 'govuk-table__row')
      var name = el('th', 'govuk-table__header')
      name.scope = 'row'
      name.appendChild(el('code', null, c.column))
      row.appendChild(name)
      ;[c.up, c.down].forEach(function (links) {
        var td = el('td', 'govuk-table__cell')
        links.forEach(function (l, i) {
          if (i) td.appendChild(document.createElement('br'))
          td.appendChild(l.url ? link(l.url, l.title) : el('span', null, l.title))
          td.appendChild(document.createTextNode(': '))
          td.appendChild(el('code', null, l.column))
          if (l.how && l.how !== 'IDENTITY') td.appendChild(el('span', 'govuk-body-s', ' (' + l.how.toLowerCase() + ')'))
        })
        row.appendChild(td)
      })
      body.appendChild(row)
    })
    table.appendChild(body)
    wrap.appendChild(table)
    return wrap
  }

  function loadColumns (url, into) {
    if (!url) return
    fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status) })
      .then(function (data) {
        if (data.columns && data.columns.length) into.appendChild(columnTable(data.columns))
        into.setAttribute('data-loaded', String(data.columns ? data.columns.length : 0))
      })
      .catch(function () {
        into.appendChild(el('p', 'govuk-body-s', 'Its column lineage could not be loaded; its page lists it.'))
        into.setAttribute('data-loaded', 'failed')
      })
  }

  function close () {
    panel.hidden = true
    if (actions) actions.back()
  }

  function open (data, focusHeading, given) {
    actions = given
    panel.textContent = ''
    var heading = el('h3', 'govuk-heading-m', data.label)
    heading.id = 'lineage-panel-title'
    heading.tabIndex = -1
    panel.appendChild(heading)
    if (data.restricted === 'yes') {
      panel.appendChild(el('p', 'govuk-body', 'You may not see this asset, so its name and details are not shown. The lines show only that it is part of this lineage.'))
    } else {
      panel.appendChild(summary([
        ['Kind', data.kindLabel],
        ['Department', data.department],
        ['Owner', data.owner],
        ['Classification', data.classification],
        ['Sensitive', data.sensitive === 'yes' ? 'Yes: personal or OFFICIAL-SENSITIVE data' : null],
        ['Where', data.centre === 'yes' ? 'The asset this page is about' : data.hops + (data.hops === 1 ? ' hop ' : ' hops ') + data.side]
      ]))
      var links = el('ul', 'govuk-list')
      var page = el('li')
      page.appendChild(link(data.page, 'Open its page'))
      links.appendChild(page)
      if (data.centre !== 'yes') {
        var centre = el('li')
        centre.appendChild(link(data.url, 'Centre the lineage on it'))
        links.appendChild(centre)
      }
      panel.appendChild(links)
    }
    var group = el('div', 'govuk-button-group app-explorer__actions')
    ;['upstream', 'downstream'].forEach(function (side) {
      var more = given.hidden(side)
      if (more) group.appendChild(button('Show ' + more + ' more ' + side, function () { given.expand(side) }))
      group.appendChild(button('Hide ' + side, function () { given.collapse(side) }))
    })
    group.appendChild(button('Only it and its neighbours', function () { given.focus() }))
    group.appendChild(button('Close', close))
    panel.appendChild(group)
    var columns = el('div')
    columns.id = 'lineage-panel-columns'
    panel.appendChild(columns)
    loadColumns(data.columns, columns)
    panel.hidden = false
    if (focusHeading) heading.focus()
  }

  panel.addEventListener('keydown', function (event) {
    if (event.key === 'Escape') { event.preventDefault(); close() }
  })

  window.catalogueLineagePanel = { open: open, close: close }
})()
