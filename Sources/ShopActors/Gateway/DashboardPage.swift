/// The live dashboard at `/ui`: one self-contained page (no CDN, no build step) that polls
/// `/ui/cluster.json` every two seconds. Values are inserted as text, never as HTML.
enum DashboardPage {
    /// The saga statuses come from `OrderSagaState.Status`, so the page cannot drift from the saga.
    static let sagaStatuses =
        "[" + OrderSagaState.Status.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ") + "]"

    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>shop cluster</title>
        <style>
          :root { --up: #1f9d55; --down: #d64545; --warn: #d69e2e; --ink: #1a202c; --muted: #718096; --card: #fff; }
          * { box-sizing: border-box; }
          body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: var(--ink); background: #f1f3f6; }
          header { display: flex; align-items: baseline; gap: 16px; padding: 16px 24px; background: #1a202c; color: #fff; }
          header h1 { margin: 0; font-size: 20px; }
          header .summary { font-weight: 600; }
          header .meta { color: #a0aec0; margin-left: auto; font-size: 12px; }
          main { padding: 20px 24px; display: grid; gap: 20px; }
          h2 { margin: 0 0 8px; font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
          .nodes { display: grid; grid-template-columns: repeat(auto-fill, minmax(280px, 1fr)); gap: 16px; }
          .card { background: var(--card); border-radius: 8px; padding: 14px 16px; box-shadow: 0 1px 3px rgba(0,0,0,.12);
                  border-top: 6px solid var(--muted); }
          .card.up { border-top-color: var(--up); }
          .card.down { border-top-color: var(--down); background: #fff5f5; }
          .card .title { display: flex; justify-content: space-between; align-items: center; }
          .card .name { font-size: 18px; font-weight: 700; }
          .state { padding: 2px 10px; border-radius: 999px; color: #fff; font-weight: 700; font-size: 12px; text-transform: uppercase; }
          .state.up { background: var(--up); } .state.down { background: var(--down); }
          .facts { color: var(--muted); font-size: 12px; margin: 6px 0 10px; }
          table { width: 100%; border-collapse: collapse; font-size: 13px; }
          td, th { padding: 3px 4px; text-align: right; } td:first-child, th:first-child { text-align: left; }
          th { color: var(--muted); font-weight: 500; font-size: 11px; }
          .bad { color: var(--down); font-weight: 700; } .slow { color: var(--warn); font-weight: 700; }
          .sagas { display: flex; gap: 16px; flex-wrap: wrap; }
          .tile { background: var(--card); border-radius: 8px; padding: 12px 18px; min-width: 140px; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
          .tile .n { font-size: 26px; font-weight: 700; } .tile .l { color: var(--muted); font-size: 12px; }
          .chart { background: var(--card); border-radius: 8px; padding: 12px 16px; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
          .legend span { margin-right: 14px; font-size: 12px; } .sw { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
          #error { color: var(--down); font-weight: 600; }
        </style>
        </head>
        <body>
        <header><h1>shop cluster</h1><span class="summary" id="summary">loading…</span><span class="meta" id="meta"></span></header>
        <main>
          <div id="error"></div>
          <section><h2>Nodes</h2><div class="nodes" id="nodes"></div></section>
          <section><h2>Sagas</h2><div class="sagas" id="sagas"></div></section>
          <section class="chart"><h2>Saga outcomes per 10 s, last 15 minutes</h2>
            <div class="legend"><span><i class="sw" style="background:var(--up)"></i>completed</span>
              <span><i class="sw" style="background:var(--down)"></i>compensated</span></div>
            <svg id="chart" width="100%" height="120" viewBox="0 0 900 120" preserveAspectRatio="none"></svg></section>
        </main>
        <script>
        const SAGA_STATUSES = \#(sagaStatuses);
        "use strict";
        function el(tag, cls, text) {
          const node = document.createElement(tag);
          if (cls) node.className = cls;
          if (text !== undefined && text !== null) node.textContent = String(text);
          return node;
        }
        function duration(s) {
          if (s === null || s === undefined) return "-";
          if (s < 60) return s.toFixed(1) + " s";
          if (s < 3600) return Math.floor(s / 60) + "m" + String(Math.floor(s % 60)).padStart(2, "0") + "s";
          if (s < 86400) return Math.floor(s / 3600) + "h" + String(Math.floor(s % 3600 / 60)).padStart(2, "0") + "m";
          return Math.floor(s / 86400) + "d" + Math.floor(s % 86400 / 3600) + "h";
        }
        function render(state) {
          const report = state.report;
          const up = report.nodes.filter(n => n.state === "up").length;
          const summary = document.getElementById("summary");
          summary.textContent = up + " of " + report.nodes.length + " nodes up";
          summary.style.color = up === report.nodes.length ? "#68d391" : "#fc8181";
          document.getElementById("meta").textContent = "cluster " + report.cluster + " · seen from " + report.observed_by +
            " · " + new Date(report.generated_at).toLocaleTimeString();
          const nodes = document.getElementById("nodes");
          nodes.replaceChildren();
          for (const node of report.nodes) {
            const card = el("div", "card " + node.state);
            card.dataset.node = node.name;
            const title = el("div", "title");
            title.append(el("span", "name", node.name), el("span", "state " + node.state, node.state));
            card.append(title);
            const facts = node.state === "up"
              ? node.address + " · up " + duration(node.uptime_seconds) + " · rtt " +
                (node.rtt_ms === undefined ? "-" : node.rtt_ms.toFixed(2) + " ms") + " · inc " + (node.incarnation || "-")
              : node.address + " · " + (node.detail || "down");
            card.append(el("div", "facts", facts));
            const table = el("table");
            const head = el("tr");
            for (const h of ["service", "pending", "oldest", "dead letters"]) head.append(el("th", null, h));
            table.append(head);
            for (const queue of report.services.filter(q => q.node === node.name)) {
              const row = el("tr");
              row.append(el("td", null, queue.service + (queue.role === "standby" ? " (standby)" : "") +
                (queue.role === "active" && queue.last_failover_at ? " (active since failover " + queue.last_failover_at + ")" : "")));
              if (!queue.reachable) {
                row.append(el("td", "bad", "-"), el("td", "bad", "-"), el("td", "bad", "unreachable"));
              } else {
                row.append(el("td", queue.pending > 1000 ? "slow" : null, queue.pending),
                  el("td", queue.oldest_pending_seconds > 30 ? "slow" : null, duration(queue.oldest_pending_seconds)),
                  el("td", queue.dead_letters > 0 ? "bad" : null, queue.dead_letters));
              }
              table.append(row);
            }
            card.append(table);
            nodes.append(card);
          }
          const sagas = document.getElementById("sagas");
          sagas.replaceChildren();
          const counts = report.sagas || {};
          for (const status of SAGA_STATUSES) {
            const tile = el("div", "tile");
            tile.append(el("div", "n", report.sagas ? (counts[status] || 0) : "-"), el("div", "l", status));
            sagas.append(tile);
          }
          const admission = report.admission;
          for (const [label, value] of [["accepted", admission && admission.accepted], ["shed (503)", admission && admission.shed],
                                        ["in flight", admission && `${admission.in_flight} / ${admission.limit || "∞"}`],
                                        ["stuck", admission && admission.stuck]]) {
            const tile = el("div", "tile");
            tile.append(el("div", (label === "shed (503)" || label === "stuck") && value > 0 ? "n slow" : "n", admission ? value : "-"),
                        el("div", "l", label === "stuck" && admission && admission.stuck > 0 ? `stuck (oldest ${Math.round(admission.oldest_stuck_seconds)} s: ${admission.stuck_reason})` : label));
            tile.id = "admission-" + label.split(" ")[0];
            sagas.append(tile);
          }
          drawChart(state.saga_history || []);
        }
        function drawChart(samples) {
          const svg = document.getElementById("chart");
          svg.replaceChildren();
          const deltas = [];
          for (let i = 1; i < samples.length; i++) {
            deltas.push([Math.max(0, samples[i].completed - samples[i - 1].completed),
                         Math.max(0, samples[i].compensated - samples[i - 1].compensated)]);
          }
          const max = Math.max(1, ...deltas.map(d => d[0] + d[1]));
          const width = 900 / 90;
          deltas.forEach((d, i) => {
            const x = (90 - deltas.length + i) * width;
            const h1 = d[0] / max * 110, h2 = d[1] / max * 110;
            for (const [h, y, colour] of [[h1, 120 - h1, "#1f9d55"], [h2, 120 - h1 - h2, "#d64545"]]) {
              if (h <= 0) continue;
              const bar = document.createElementNS("http://www.w3.org/2000/svg", "rect");
              bar.setAttribute("x", x + 1); bar.setAttribute("y", y);
              bar.setAttribute("width", width - 2); bar.setAttribute("height", h); bar.setAttribute("fill", colour);
              svg.append(bar);
            }
          });
        }
        async function refresh() {
          try {
            const response = await fetch("/ui/cluster.json", { cache: "no-store" });
            if (!response.ok) throw new Error("HTTP " + response.status);
            render(await response.json());
            document.getElementById("error").textContent = "";
          } catch (error) {
            document.getElementById("error").textContent = "gateway not answering: " + error.message;
          }
        }
        refresh();
        setInterval(refresh, 2000);
        </script>
        </body>
        </html>
        """#
}
