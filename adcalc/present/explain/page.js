// adcalc explain: steps through the recorded sweeps.  The data come from the JSON element
// #adcalc-data; every text is put in with textContent (never as markup); nothing is fetched.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("adcalc-data").textContent);
  const steps = data.steps;
  const $ = (id) => document.getElementById(id);
  const forward = data.mode !== "reverse";
  const reverse = data.mode !== "forward";
  let index = 0;
  let quiz = false;
  const revealed = new Set();
  const verdicts = new Map();
  let right = 0, asked = 0;

  // ---- numbers: JSON numbers at full precision; nan and ±inf arrive as strings ----------------
  function fmt(v) {
    if (v === null || v === undefined) return "";
    if (Array.isArray(v)) return "[" + v.map(fmt).join(", ") + "]";
    return String(v);
  }
  function parseAnswer(text) {
    const t = text.trim().replace(/\u2212/g, "-").replace(/\s+/g, "");
    if (t === "") return null;
    if (/^[+-]?(nan|inf|infinity)$/i.test(t)) {
      const l = t.toLowerCase().replace("infinity", "inf").replace("+", "");
      return l === "-nan" ? "nan" : l;
    }
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return null;
    return Number(t);
  }
  // Right when the answer agrees with the truth to 6 significant digits: within half a unit of
  // the truth's 6th significant digit, or the same number once both are rounded to 6 digits.
  function agrees(given, truth) {
    if (typeof truth === "string" || typeof given === "string") return given === truth;
    if (truth === 0) return given === 0;
    const e = Math.floor(Math.log10(Math.abs(truth)));
    const tol = 0.5 * Math.pow(10, e - 5) * (1 + 1e-12);
    return Math.abs(given - truth) <= tol || Number(given.toPrecision(6)) === Number(truth.toPrecision(6));
  }

  // ---- what is known after each step (the table's cells) -------------------------------------
  const nodeIndex = new Map(data.nodes.map((n, i) => [n.id, i]));
  const valueStep = new Array(data.nodes.length).fill(Infinity);
  const adjoints = data.nodes.map(() => []);  // [step, value] in order
  let firstBackward = Infinity;
  steps.forEach((s, k) => {
    if (s.sweep === "forward" && s.node !== null) valueStep[nodeIndex.get(s.node)] = k;
    if (s.sweep === "backward" && firstBackward === Infinity) firstBackward = k;
    if (s.adjoint) adjoints[nodeIndex.get(s.adjoint.node)].push([k, s.adjoint.value]);
  });
  function adjointAt(i, upto) {
    if (upto < firstBackward) return "";
    let v = 0;
    for (const [k, value] of adjoints[i]) if (k <= upto) v = value;
    return fmt(v);
  }

  // ---- building the page ----------------------------------------------------------------------
  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  const hasVar = data.nodes.some((n) => n.var && !n.input);
  const hasWhere = data.nodes.some((n) => n.context);
  const head = ["node", "definition"].concat(hasVar ? ["var"] : [], hasWhere ? ["where"] : [], ["value"]);
  const tangentHeads = forward ? data.columns.map((c) => data.columns.length > 1 ? "v\u0307 along " + c : "v\u0307") : [];
  const adjointHead = reverse ? ["adjoint v\u0304"] : [];
  const headRow = $("table").tHead.insertRow();
  for (const h of head.concat(tangentHeads, adjointHead)) headRow.appendChild(el("th", h));
  const cells = data.nodes.map((n) => {
    const row = $("table").tBodies[0].insertRow();
    row.id = "row-" + n.id;
    const fixed = [n.id, n.input ? n.definition + " (input)" : n.definition];
    if (hasVar) fixed.push(n.input ? "" : (n.var || ""));
    if (hasWhere) fixed.push(n.context);
    for (const t of fixed) row.appendChild(el("td", t));
    const value = row.appendChild(el("td", "", "num value"));
    const tangents = tangentHeads.map((_, j) => row.appendChild(el("td", "", "num tangent t" + j)));
    const adjoint = reverse ? row.appendChild(el("td", "", "num adjoint")) : null;
    return { row, value, tangents, adjoint };
  });
  $("subtitle").textContent = data.title;
  const sourceLines = data.source.split("\n").map((line, i) => {
    const li = el("div", line === "" ? "\u00a0" : line, "line");
    li.setAttribute("data-line", String(i + 1));
    $("source").appendChild(li);
    return li;
  });
  for (const w of data.warnings) $("warnings").appendChild(el("li", w));
  steps.forEach((s) => {  // the node a warning (a kink, the first nan) was raised at
    const g = s.warning && s.sweep === "forward" ? document.getElementById("node-" + s.node) : null;
    if (g) g.classList.add("warn");
  });
  $("warnings").hidden = data.warnings.length === 0;
  const slider = $("slider");
  slider.max = String(steps.length - 1);

  // ---- one step --------------------------------------------------------------------------------
  function asking(k) {
    const s = steps[k];
    return quiz && s.answers && s.answers.length > 0 && !revealed.has(k);
  }
  function title(s, k) {
    const sweep = { forward: "Forward sweep", backward: "Backward sweep", result: "Result" }[s.sweep];
    const where = s.context ? " \u00b7 " + (s.context.includes("=") || s.context.startsWith("iter") ?
      "loop " : "in ") + s.context : "";
    return sweep + " \u00b7 step " + (k + 1) + " of " + steps.length + (s.node ? " \u00b7 " + s.node : "") + where;
  }
  function light() {
    for (const g of document.querySelectorAll("svg .lit, svg .done, svg .source")) {
      g.classList.remove("lit", "done", "source");
    }
  }
  function render() {
    const s = steps[index];
    const hide = asking(index);
    const upto = hide ? index - 1 : index;
    $("step").textContent = title(s, index) + "\n" + (hide ? s.question : s.lines).join("\n");
    $("where").textContent = s.context ? "loop iteration / call: " + s.context : "";
    slider.value = String(index);
    $("counter").textContent = (index + 1) + " / " + steps.length;
    $("prev").disabled = index === 0;
    $("next").disabled = index === steps.length - 1;
    light();
    data.nodes.forEach((n, i) => {
      const c = cells[i];
      const known = valueStep[i] <= upto;
      c.value.textContent = known ? fmt(n.value) : "";
      c.tangents.forEach((cell, j) => { cell.textContent = known && n.tangent ? fmt(n.tangent[j]) : ""; });
      if (c.adjoint) c.adjoint.textContent = adjointAt(i, upto);
      c.row.classList.toggle("current", n.id === s.node);
      c.row.classList.toggle("known", known);
      const g = document.getElementById("node-" + n.id);
      if (g && known) g.classList.add("done");
    });
    if (s.node) {
      const g = document.getElementById("node-" + s.node);
      if (g) g.classList.add("lit");
    }
    if (s.source) {
      const g = document.getElementById("node-" + s.source);
      if (g) g.classList.add("source");
    }
    for (const id of s.edges) {
      const g = document.getElementById(id);
      if (g) g.classList.add("lit");
    }
    const node = s.node ? data.nodes[nodeIndex.get(s.node)] : null;
    sourceLines.forEach((li, i) => li.classList.toggle("current", !!node && node.line === i + 1));
    const row = s.node ? document.getElementById("row-" + s.node) : null;
    if (row && row.scrollIntoView) row.scrollIntoView({ block: "nearest" });
    const lit = s.node ? document.getElementById("node-" + s.node) : null;
    if (lit && lit.scrollIntoView) lit.scrollIntoView({ block: "nearest" });
    $("quizbox").hidden = !(quiz && s.answers && s.answers.length > 0);
    $("answers").textContent = "";
    $("check").disabled = !hide;
    $("reveal").disabled = !hide;
    $("verdict").textContent = verdicts.get(index) || "";
    if (hide) {
      s.answers.forEach((a, j) => {
        const label = el("label", a.label + " = ");
        const input = el("input");
        input.type = "text";
        input.id = "answer-" + j;
        input.autocomplete = "off";
        input.addEventListener("keydown", (e) => { if (e.key === "Enter") check(); });
        label.appendChild(input);
        $("answers").appendChild(label);
      });
    }
    $("score").textContent = quiz ? "quiz: " + right + " right of " + asked : "";
  }
  function go(k) {
    index = Math.max(0, Math.min(steps.length - 1, k));
    render();
  }
  function check() {
    const s = steps[index];
    if (!asking(index)) return;
    const given = s.answers.map((_, j) => parseAnswer($("answer-" + j).value));
    if (given.some((g) => g === null)) {
      $("verdict").textContent = "type a number in each box (like -0.416147 or 1e-3)";
      return;
    }
    const ok = s.answers.every((a, j) => agrees(given[j], a.value));
    asked += 1;
    if (ok) {
      right += 1;
      verdicts.set(index, "\u2713 right: " + s.answers.map((a) => a.label + " = " + fmt(a.value)).join(", ") +
        " (checked to 6 significant digits)");
      revealed.add(index);
      render();
    } else {
      const wrong = s.answers.filter((a, j) => !agrees(given[j], a.value)).map((a) => a.label).join(", ");
      verdicts.set(index, "\u2717 not right: " + wrong + " (to 6 significant digits) \u2014 try again, or Reveal");
      render();
      s.answers.forEach((_, j) => { $("answer-" + j).value = given[j] === null ? "" : String(given[j]); });
    }
  }
  $("next").addEventListener("click", () => go(index + 1));
  $("prev").addEventListener("click", () => go(index - 1));
  slider.addEventListener("input", () => go(Number(slider.value)));
  $("check").addEventListener("click", check);
  $("reveal").addEventListener("click", () => {
    revealed.add(index);
    verdicts.set(index, "revealed: " + steps[index].answers.map((a) => a.label + " = " + fmt(a.value)).join(", "));
    render();
  });
  $("quiz").addEventListener("change", () => { quiz = $("quiz").checked; render(); });
  document.addEventListener("keydown", (e) => {
    const t = e.target;
    // a text box keeps its arrow keys; the slider moves itself (and fires "input")
    if (t && t.tagName === "INPUT" && (t.type === "text" || t.type === "range")) return;
    if (e.key === "ArrowRight") { go(index + 1); e.preventDefault(); }
    if (e.key === "ArrowLeft") { go(index - 1); e.preventDefault(); }
  });
  render();
})();
