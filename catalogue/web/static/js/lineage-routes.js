/* Edges of the lineage graph routed around its assets.
 *
 * dagre (through cytoscape-dagre) places the assets in columns, data flowing
 * left to right. A straight or curved edge from one column to a column further
 * on can cross an asset between them, so that asset looks as if it feeds what it
 * does not. Here each edge is drawn with right angles instead:
 *
 *   - it leaves its source to the right, turns only in the gaps between columns
 *     (no asset is ever there), and enters its target from the left;
 *   - an edge that passes over columns crosses them along a horizontal channel
 *     kept clear of every asset in those columns (and of other edges' channels);
 *   - the vertical runs in one gap get their own tracks, so two edges that share
 *     neither source nor target never run along the same line.
 *
 * route(cy, eles) sets each visible edge's segment points (cytoscape's
 * "segments" curve style, relative to the source and target centres).
 */
(function () {
  'use strict'
  var CLEAR = 12 // space kept between a channel and an asset
  var CHANNEL = 10 // space kept between two channels
  var PORT = 6 // edges leave below the middle of an asset and enter above it

  function columnsOf (nodes) {
    var byX = {}
    nodes.forEach(function (n) {
      var x = Math.round(n.position('x'))
      var half = n.width() / 2
      var col = byX[x] || (byX[x] = { x: x, half: 0, nodes: [] })
      col.half = Math.max(col.half, half)
      col.nodes.push(n)
    })
    var cols = Object.keys(byX).map(function (x) { return byX[x] }).sort(function (a, b) { return a.x - b.x })
    cols.forEach(function (col, i) {
      col.index = i
      col.left = col.x - col.half
      col.right = col.x + col.half
    })
    cols.forEach(function (col, i) {
      var next = cols[i + 1]
      col.gapLeft = col.right
      col.gapRight = next ? next.left : col.right + 60
    })
    return cols
  }

  // The y nearest the straight way from ys to yt that is clear of every asset
  // and channel in columns first..last.
  function channelY (cols, first, last, ys, yt, channels) {
    var blocked = []
    for (var c = first; c <= last; c++) {
      cols[c].nodes.forEach(function (n) {
        var half = n.height() / 2 + CLEAR
        blocked.push([n.position('y') - half, n.position('y') + half])
      })
    }
    channels.forEach(function (ch) {
      if (ch.first <= last && first <= ch.last) blocked.push([ch.y - CHANNEL, ch.y + CHANNEL])
    })
    var candidates = [ys, yt]
    blocked.forEach(function (b) { candidates.push(b[0], b[1]) })
    function cost (y) { return Math.abs(y - ys) + Math.abs(y - yt) }
    candidates.sort(function (a, b) { return cost(a) - cost(b) })
    for (var i = 0; i < candidates.length; i++) {
      var y = candidates[i]
      if (blocked.every(function (b) { return y <= b[0] || y >= b[1] })) return y
    }
    return ys
  }

  // Tracks in each gap: runs that overlap in y and have different owners get
  // different x; runs of one owner (one source, or one target) share a track.
  function assignTracks (cols, runs) {
    var byGap = {}
    runs.forEach(function (r) { (byGap[r.gap] = byGap[r.gap] || []).push(r) })
    Object.keys(byGap).forEach(function (gap) {
      var owners = {}
      byGap[gap].forEach(function (r) {
        var o = owners[r.owner] || (owners[r.owner] = { lo: Infinity, hi: -Infinity, runs: [] })
        o.lo = Math.min(o.lo, r.y1, r.y2)
        o.hi = Math.max(o.hi, r.y1, r.y2)
        o.runs.push(r)
      })
      var list = Object.keys(owners).map(function (k) { return owners[k] }).sort(function (a, b) { return a.lo - b.lo })
      var trackEnds = []
      list.forEach(function (o) {
        var t = 0
        while (t < trackEnds.length && trackEnds[t] > o.lo - CHANNEL) t++
        trackEnds[t] = o.hi
        o.track = t
      })
      var col = cols[Number(gap)]
      var width = col.gapRight - col.gapLeft
      list.forEach(function (o) {
        var x = col.gapLeft + width * (o.track + 1) / (trackEnds.length + 1)
        o.runs.forEach(function (r) { r.x = x })
      })
    })
  }

  // Absolute points to cytoscape's segment weights and distances
  // ("edge-distances: node-position").
  function segments (s, t, points) {
    var dx = t.x - s.x
    var dy = t.y - s.y
    var len2 = dx * dx + dy * dy || 1
    var len = Math.sqrt(len2)
    var weights = []
    var distances = []
    points.forEach(function (p) {
      var px = p.x - s.x
      var py = p.y - s.y
      weights.push((px * dx + py * dy) / len2)
      distances.push((px * -dy + py * dx) / len)
    })
    return { weights: weights, distances: distances }
  }

  function route (cy, eles) {
    var nodes = eles.nodes()
    var cols = columnsOf(nodes)
    var colOf = {}
    cols.forEach(function (col) { col.nodes.forEach(function (n) { colOf[n.id()] = col.index }) })
    var channels = []
    var plans = []
    var runs = []
    eles.edges().forEach(function (e) {
      var s = e.source()
      var t = e.target()
      var cs = colOf[s.id()]
      var ct = colOf[t.id()]
      if (cs === undefined || ct === undefined || ct <= cs) return
      var ys = s.position('y') + PORT
      var yt = t.position('y') - PORT
      var plan = { edge: e, s: s, t: t, ys: ys, yt: yt, cs: cs, ct: ct }
      if (ct === cs + 1) {
        plan.first = { gap: cs, owner: 's' + s.id(), y1: ys, y2: yt }
        runs.push(plan.first)
      } else {
        plan.cy = channelY(cols, cs + 1, ct - 1, ys, yt, channels)
        channels.push({ first: cs + 1, last: ct - 1, y: plan.cy })
        plan.first = { gap: cs, owner: 's' + s.id(), y1: ys, y2: plan.cy }
        plan.last = { gap: ct - 1, owner: 't' + t.id(), y1: plan.cy, y2: yt }
        runs.push(plan.first, plan.last)
      }
      plans.push(plan)
    })
    assignTracks(cols, runs)
    plans.forEach(function (p) {
      // Just outside the borders (a point on the border itself leaves
      // cytoscape no line to cut the border with).
      var sx = p.s.position('x') + p.s.width() / 2 + 4
      var tx = p.t.position('x') - p.t.width() / 2 - 4
      var points = [{ x: sx, y: p.ys }, { x: p.first.x, y: p.ys }]
      if (p.last) {
        points.push({ x: p.first.x, y: p.cy }, { x: p.last.x, y: p.cy }, { x: p.last.x, y: p.yt })
      } else {
        points.push({ x: p.first.x, y: p.yt })
      }
      points.push({ x: tx, y: p.yt })
      var seg = segments(p.s.position(), p.t.position(), points)
      p.edge.data('points', points)
      p.edge.style({ 'segment-weights': seg.weights, 'segment-distances': seg.distances })
    })
  }

  window.catalogueLineageRoutes = { route: route }
})()
